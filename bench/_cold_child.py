"""One cold start, run by bench.cold_start in a fresh interpreter:
`python -m bench._cold_child signup|bare`.

Imports the app, invokes the app object once with an API Gateway proxy event (what the
Lambda runtime does; chalice.test is not imported, it is not part of a deployed cold
start), and prints one RESULT line: nanoseconds since BENCH_T0_NS (taken by the parent
with time.monotonic_ns() just before it spawned this process; CLOCK_MONOTONIC is
system-wide on Linux), when the import finished, when the response came, its status, and
which installed packages the first request loaded (imports the app defers to first use).
"""
import time

ENTERED = time.monotonic_ns()

import json  # noqa: E402
import os  # noqa: E402
import sys  # noqa: E402

MARKER = "BENCH-COLD-RESULT "


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


def proxy_event(method: str, path: str, body: str, content_type: str) -> dict:
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


def _third_party_packages(module_names: set[str]) -> list[str]:
    """Top-level names of the installed (site-packages) packages among these modules."""
    packages = set()
    for name in module_names:
        module = sys.modules.get(name)
        where = getattr(module, "__file__", None) or ""
        if "site-packages" in where:
            packages.add(name.split(".")[0])
    return sorted(packages)


def main() -> None:
    which, unique = sys.argv[1], sys.argv[2]
    if which == "signup":
        import app as module

        path, expected = "/signup", 202
        body = {"email": f"bench.cold.{unique}@example.org", "name": "Bench Cold", "promotions": True}
    elif which == "bare":
        from bench import _bare_app as module

        path, expected = "/put", 200
        body = {"id": unique}
    else:
        raise SystemExit(f"unknown app {which!r}")
    imported = time.monotonic_ns()
    loaded_before = set(sys.modules)
    response = module.app(proxy_event("POST", path, json.dumps(body), "application/json"), LambdaContext())
    answered = time.monotonic_ns()
    loaded_by_request = _third_party_packages(set(sys.modules) - loaded_before)
    t0 = int(os.environ["BENCH_T0_NS"])
    result = {
        "app": which,
        "status": response["statusCode"],
        "expected": expected,
        "entered_ns": ENTERED - t0,
        "imported_ns": imported - t0,
        "answered_ns": answered - t0,
        "body": response.get("body") if response["statusCode"] != expected else None,
        "loaded_by_request": loaded_by_request,
    }
    sys.stdout.write(MARKER + json.dumps(result) + "\n")
    sys.stdout.flush()


if __name__ == "__main__":
    main()
