"""The first uses inside a cold signup, one at a time, without a profiler, run by
bench.cold_breakdown in a fresh interpreter: `python -m bench._first_use_child UNIQUE`.

After `import app` it makes, in this order, each first use that the first POST /signup
would otherwise make inside the request, and times each with time.monotonic_ns() (STEPS);
then the first POST /signup itself (what is left of it once those are done) and a warm
one. Each step's time is its cost given the steps before it (a module one step imports is
not imported again by the next). A step whose name the app no longer has is reported as
not measured (null). Prints one RESULT line: [label, nanoseconds or null] per step.
"""
import time

ENTERED = time.monotonic_ns()

import importlib  # noqa: E402
import json  # noqa: E402
import sys  # noqa: E402

from bench._cold_child import MARKER, LambdaContext, proxy_event  # noqa: E402


def _signup_model():
    return importlib.import_module("functions.signup").SignupRequest


def _body(unique: str, n: int) -> dict:
    return {"email": f"bench.first.{unique}.{n}@example.org", "name": "Bench First", "promotions": True}


def _post_signup(app, unique: str, n: int) -> None:
    event = proxy_event("POST", "/signup", json.dumps(_body(unique, n)), "application/json")
    response = app.app(event, LambdaContext())
    if response["statusCode"] != 202:
        raise SystemExit(f"POST /signup answered {response['statusCode']}: {response.get('body')}")


def steps(app, unique: str) -> list[tuple[str, object]]:
    """(label, what to call) in the order they run."""
    return [
        ("settings (get_settings())",
         lambda: importlib.import_module("shared.settings").get_settings()),
        ("ports (process_ports())", lambda: importlib.import_module("shared.ports").process_ports()),
        ("import functions.signup", lambda: importlib.import_module("functions.signup")),
        ("SignupRequest build", lambda: _signup_model().model_rebuild()),
        ("SignupRequest 1st validate", lambda: _signup_model().model_validate(_body(unique, 0))),
        ("SignupRequest warm validate", lambda: _signup_model().model_validate(_body(unique, 1))),
        ("boto3 session (aws._session())", lambda: importlib.import_module("shared.aws")._session()),
        ("DynamoDB client (aws.client())",
         lambda: importlib.import_module("shared.aws").client("dynamodb")),
        ("1st POST /signup, after these", lambda: _post_signup(app, unique, 2)),
        ("warm POST /signup", lambda: _post_signup(app, unique, 3)),
    ]


def main() -> None:
    unique = sys.argv[1]
    started = time.monotonic_ns()
    import app

    timed: list[list] = [["import app", time.monotonic_ns() - started]]
    for label, call in steps(app, unique):
        started = time.monotonic_ns()
        try:
            call()  # type: ignore[operator]
        except (AttributeError, ImportError):  # the app renamed or removed it
            timed.append([label, None])
            continue
        timed.append([label, time.monotonic_ns() - started])
    sys.stdout.write(MARKER + json.dumps({"steps": timed}) + "\n")
    sys.stdout.flush()


if __name__ == "__main__":
    main()
