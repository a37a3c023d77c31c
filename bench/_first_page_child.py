"""One fresh process's first `GET /`, then warm ones, run by bench.first_page:
`python -m bench._first_page_child`.

Imports the app and invokes the app object with API Gateway proxy events for `GET /` from
a Mexican address with a desktop Chrome User-Agent (the country's home page, its access
count), as the Lambda runtime would. It times, with time.monotonic_ns(): the first
request; WARM more requests with the same User-Agent; one request each for OTHER_AGENTS
(new to the parser's cache, its rules already partly compiled); and inside every request
the two parts this figure is about, by wrapping them before the first request (their
modules are small; the libraries they use load inside them): the access count
(chalicelib.viewer.count_page_request: the counter's UpdateItem, the address lookup and
the User-Agent parse) and ua-parser's parse (shared.user_agents.families).
"""
import time

ENTERED = time.monotonic_ns()

import json  # noqa: E402
import os  # noqa: E402
import sys  # noqa: E402

from bench._cold_child import (  # noqa: E402
    CHROME, MARKER, MEXICO_GREETING, LambdaContext, _third_party_packages, home_event, timed)

OTHER_AGENTS = (
    "Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) "
    "Version/17.0 Mobile/15E148 Safari/604.1",
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:128.0) Gecko/20100101 Firefox/128.0",
    "Mozilla/5.0 (Linux; Android 14; SM-S918B) AppleWebKit/537.36 (KHTML, like Gecko) SamsungBrowser/23.0 "
    "Chrome/115.0.0.0 Mobile Safari/537.36",
    "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 "
    "Safari/537.36 Edg/131.0.0.0",
)
WARM = 9


def main() -> None:
    import app

    imported = time.monotonic_ns()
    from chalicelib import viewer
    from shared import user_agents

    counting: list[int] = []
    parsing: list[int] = []
    timed(viewer, "count_page_request", counting)
    timed(user_agents, "families", parsing)

    def get_home(user_agent: str) -> int:
        event = home_event(user_agent)
        started = time.monotonic_ns()
        response = app.app(event, LambdaContext())
        took = time.monotonic_ns() - started
        if response["statusCode"] != 200 or MEXICO_GREETING not in response["body"]:
            raise SystemExit(f"GET / answered {response['statusCode']}, not Mexico's home page")
        return took

    loaded_before = set(sys.modules)
    first = get_home(CHROME)
    answered = time.monotonic_ns()
    loaded_by_request = _third_party_packages(set(sys.modules) - loaded_before)
    warm = [get_home(CHROME) for _ in range(WARM)]
    others = [get_home(agent) for agent in OTHER_AGENTS]
    t0 = int(os.environ["BENCH_T0_NS"])
    result = {
        "entered_ns": ENTERED - t0, "imported_ns": imported - t0, "answered_ns": answered - t0,
        "first_ns": first, "warm_ns": warm, "other_agents_ns": others,
        "count_ns": counting, "parse_ns": parsing, "loaded_by_request": loaded_by_request,
    }
    sys.stdout.write(MARKER + json.dumps(result) + "\n")
    sys.stdout.flush()


if __name__ == "__main__":
    main()
