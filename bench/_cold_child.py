"""One cold start, run by bench.cold_start in a fresh interpreter:
`python -m bench._cold_child signup|account|webhook|home|bare UNIQUE`.

Imports the app, invokes the app object once with an API Gateway proxy event (what the
Lambda runtime does; chalice.test is not imported, it is not part of a deployed cold
start), and prints one RESULT line: nanoseconds since BENCH_T0_NS (taken by the parent
with time.monotonic_ns() just before it spawned this process; CLOCK_MONOTONIC is
system-wide on Linux), when the import finished, when the response came, its status, and
which installed packages the first request loaded (imports the app defers to first use).

The requests: signup, POST /signup with a new address (202); account, GET /account with
the session cookie the parent made (200, the parent's customer); webhook, POST
/processor/webhook with the sandbox processor's signed "pay" callback for an order the
parent made (200, "fulfilled"); home, GET / from a Mexican address with a desktop Chrome
User-Agent (200, Mexico's home page); bare, bench._bare_app's one put_item (200). What the
parent made comes in BENCH_REQUEST (JSON: headers, body, expect). The answer is checked
after the clock has stopped.

Just before the request it writes FIRST_REQUEST_MARK to stderr, and FIRST_REQUEST_END
just after, so that a run under `-X importtime` (which writes there as each import ends)
splits into the import of the app and the first request. Instruments for the breakdown runs only, never in the timed
ones: BENCH_PROFILE=1 puts a cProfile of the first request (every entry of 0.5 ms or more)
in the result; BENCH_FIRST_USES=1 times the first calls of the functions that
import stripe, ua-parser and iptocc (FIRST_USES), wrapped before the request.
"""
import time

ENTERED = time.monotonic_ns()

import json  # noqa: E402
import os  # noqa: E402
import sys  # noqa: E402

MARKER = "BENCH-COLD-RESULT "
FIRST_REQUEST_MARK = "BENCH-FIRST-REQUEST"
FIRST_REQUEST_END = "BENCH-FIRST-REQUEST-END"
MEXICO = "189.203.0.1"
CHROME = "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/130.0.0.0 Safari/537.36"
MEXICO_GREETING = "¡Hola, México!"
# (label, module, function): where the store first uses each of these libraries.
FIRST_USES = (
    ("stripe", "shared.processor", "verify_callback"),
    ("ua_parser", "shared.user_agents", "families"),
    ("iptocc", "shared.geo", "country_of_address"),
)


class LambdaContext:
    """The attributes the Lambda runtime's context has that Chalice and Powertools read."""

    function_name = "bench"
    function_version = "$LATEST"
    memory_limit_in_mb = 512
    invoked_function_arn = "arn:aws:lambda:us-east-1:123456789012:function:bench"
    aws_request_id = "00000000-0000-0000-0000-000000000001"
    log_group_name = "/aws/lambda/bench"
    log_stream_name = "bench"

    def get_remaining_time_in_millis(self) -> int:
        return 30_000


def proxy_event(method: str, path: str, body: str | None, content_type: str) -> dict:
    """An API Gateway REST proxy event for a route without path parameters."""
    return {
        "resource": path,
        "path": path,
        "httpMethod": method,
        "headers": {"content-type": content_type, "host": "bench.execute-api.us-east-1.amazonaws.com"},
        "multiValueHeaders": {"content-type": [content_type]},
        "queryStringParameters": None,
        "multiValueQueryStringParameters": None,
        "pathParameters": None,
        "stageVariables": None,
        "requestContext": {
            "resourcePath": path,
            "httpMethod": method,
            "path": f"/api{path}",
            "stage": "api",
            "requestId": "bench-request",
            "identity": {"sourceIp": "127.0.0.1"},
        },
        "body": body,
        "isBase64Encoded": False,
    }


def with_headers(event: dict, headers: dict[str, str]) -> dict:
    """The event with these headers (lower-case names) and the host, nothing else."""
    event["headers"] = {**{name.lower(): value for name, value in headers.items()}, "host": event["headers"]["host"]}
    event["multiValueHeaders"] = {name: [value] for name, value in event["headers"].items()}
    return event


def home_event(user_agent: str) -> dict:
    """GET / from a Mexican address with this User-Agent."""
    event = with_headers(proxy_event("GET", "/", None, ""), {"user-agent": user_agent, "accept": "text/html"})
    event["requestContext"]["identity"]["sourceIp"] = MEXICO
    return event


def _third_party_packages(module_names: set[str]) -> list[str]:
    """Top-level names of the installed (site-packages) packages among these modules."""
    packages = set()
    for name in module_names:
        module = sys.modules.get(name)
        where = getattr(module, "__file__", None) or ""
        if "site-packages" in where:
            packages.add(name.split(".")[0])
    return sorted(packages)


def _request(which: str, unique: str, given: dict) -> tuple[dict, int]:
    """The proxy event of this kind's first request, and the status it must answer."""
    if which == "signup":
        body = {"email": f"bench.cold.{unique}@example.org", "name": "Bench Cold", "promotions": True}
        return proxy_event("POST", "/signup", json.dumps(body), "application/json"), 202
    if which == "bare":
        return proxy_event("POST", "/put", json.dumps({"id": unique}), "application/json"), 200
    if which == "account":
        return with_headers(proxy_event("GET", "/account", None, ""), given["headers"]), 200
    if which == "webhook":
        return with_headers(proxy_event("POST", "/processor/webhook", given["body"], ""), given["headers"]), 200
    if which == "home":
        return home_event(CHROME), 200
    raise SystemExit(f"unknown app {which!r}")


def wrong_answer(which: str, response: dict, expected: int, given: dict) -> str | None:
    """None when the response is the one this kind's request must get; else what is wrong."""
    if response["statusCode"] != expected:
        return f"status {response['statusCode']}, expected {expected}: {str(response.get('body'))[:500]}"
    body = response.get("body") or ""
    if which == "webhook" and json.loads(body).get("status") != "fulfilled":
        return f"the callback did not fulfil the order: {body[:500]}"
    if which == "home" and MEXICO_GREETING not in body:
        return "GET / did not answer Mexico's home page"
    if which == "account" and json.loads(body).get("email") != given["expect"]:
        return f"GET /account answered another account: {body[:200]}"
    return None


def timed(module, name: str, spent: list[int]) -> None:
    """Replace module.name with a wrapper that appends each call's nanoseconds to `spent`."""
    original = getattr(module, name)

    def wrapper(*args, **kwargs):
        started = time.monotonic_ns()
        try:
            return original(*args, **kwargs)
        finally:
            spent.append(time.monotonic_ns() - started)

    setattr(module, name, wrapper)


def _time_first_uses() -> dict[str, list[int]]:
    """Wrap FIRST_USES' functions (their callers look them up by name at each call)."""
    import importlib

    spent: dict[str, list[int]] = {}
    for label, module_name, name in FIRST_USES:
        module = importlib.import_module(module_name)
        if hasattr(module, name):  # else renamed in the app: reported as not measured
            timed(module, name, spent.setdefault(label, []))
    return spent


def _profile_rows(profile) -> list[list]:
    """(function, calls, cumulative ms, own ms) of every entry that took 0.5 ms or more."""
    import pstats

    stdlib = os.path.dirname(os.__file__) + "/"
    rows = []
    for (path, line, function), (_, calls, own, cumulative, _) in pstats.Stats(profile).stats.items():  # type: ignore[attr-defined]
        if cumulative >= 0.0005 or own >= 0.0005:
            where = path.split("site-packages/")[-1].replace(os.getcwd() + "/", "").replace(stdlib, "")
            rows.append([f"{where}:{line}({function})", calls, cumulative * 1000, own * 1000])
    return sorted(rows, key=lambda r: -r[2])


def main() -> None:
    which, unique = sys.argv[1], sys.argv[2]
    given = json.loads(os.environ.get("BENCH_REQUEST") or "{}")
    if which == "bare":
        from bench import _bare_app as module
    else:
        import app as module
    imported = time.monotonic_ns()
    event, expected = _request(which, unique, given)
    first_uses = _time_first_uses() if os.environ.get("BENCH_FIRST_USES") else {}
    profile = None
    if os.environ.get("BENCH_PROFILE"):
        import cProfile

        profile = cProfile.Profile()
    loaded_before = set(sys.modules)
    sys.stderr.write(FIRST_REQUEST_MARK + "\n")
    sys.stderr.flush()
    started = time.monotonic_ns()
    if profile is not None:
        profile.enable()
    response = module.app(event, LambdaContext())
    if profile is not None:
        profile.disable()
    answered = time.monotonic_ns()
    sys.stderr.write(FIRST_REQUEST_END + "\n")
    sys.stderr.flush()
    loaded_by_request = _third_party_packages(set(sys.modules) - loaded_before)
    t0 = int(os.environ["BENCH_T0_NS"])
    result = {
        "app": which,
        "status": response["statusCode"],
        "expected": expected,
        "wrong": wrong_answer(which, response, expected, given),
        "entered_ns": ENTERED - t0,
        "imported_ns": imported - t0,
        "started_ns": started - t0,
        "answered_ns": answered - t0,
        "loaded_by_request": loaded_by_request,
        "first_uses_ns": {label: calls[0] for label, calls in first_uses.items() if calls},
        "profile": _profile_rows(profile) if profile is not None else None,
    }
    sys.stdout.write(MARKER + json.dumps(result) + "\n")
    sys.stdout.flush()


if __name__ == "__main__":
    main()
