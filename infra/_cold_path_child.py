"""The API function's first requests in a fresh interpreter, from the unpacked zip alone:
`python -I -S infra/_cold_path_child.py UNPACKED RUNTIME` with a JSON spec on stdin.

Run by infra/cold_path.py with the deployed runtime's interpreter, against the emulator
that process started. It imports the app and invokes the app object with API Gateway proxy
events, as the Lambda runtime does: POST /signup, GET / (a visitor with an address and a
browser, so the country lookup and the browser parse run), GET /account with a signed-in
session, and a signed card-processor callback. Each must answer as it does in production;
then it prints one line: every module imported from the zip, in import order, and every
module whose code was read from it, each with its file's path inside the zip.

Only the standard library and the runtime's boto3 are used here: whatever this script
imported from the zip would count as the cold path.
"""
import hashlib
import hmac
import json
import sys
import time

MARKER = "COLD-PATH-MODULES "


class LambdaContext:
    """The attributes of the runtime's context that Chalice and Powertools read."""

    function_name = "cold-path"
    function_version = "$LATEST"
    memory_limit_in_mb = 512
    invoked_function_arn = "arn:aws:lambda:us-east-1:123456789012:function:cold-path"
    aws_request_id = "00000000-0000-0000-0000-00000000c01d"
    log_group_name = "/aws/lambda/cold-path"
    log_stream_name = "cold-path"

    def get_remaining_time_in_millis(self) -> int:
        return 30_000


def proxy_event(method: str, path: str, headers: dict, body: str | None, source_ip: str) -> dict:
    headers = {"host": "cold-path.execute-api.us-east-1.amazonaws.com", **headers}
    return {
        "resource": path, "path": path, "httpMethod": method,
        "headers": headers, "multiValueHeaders": {name: [value] for name, value in headers.items()},
        "queryStringParameters": None, "multiValueQueryStringParameters": None,
        "pathParameters": None, "stageVariables": None,
        "requestContext": {"resourcePath": path, "httpMethod": method, "path": f"/api{path}", "stage": "api",
                           "requestId": f"cold-path-{method}-{path}", "identity": {"sourceIp": source_ip}},
        "body": body, "isBase64Encoded": False,
    }


def stripe_signature(payload: str, secret: str) -> str:
    """The Stripe-Signature header a processor sends with this payload."""
    timestamp = int(time.time())
    mac = hmac.new(secret.encode(), f"{timestamp}.{payload}".encode(), hashlib.sha256).hexdigest()
    return f"t={timestamp},v1={mac}"


def requests(spec: dict) -> list[tuple[str, dict, int]]:
    browser = {"user-agent": spec["user_agent"], "accept": "text/html"}
    signup = json.dumps({"email": spec["new_address"], "name": "Cold Path", "promotions": True})
    callback = json.dumps({"id": "evt_cold_path", "type": "checkout.session.completed", "data": {"object": {
        "id": "cs_cold_path_unknown", "payment_status": "paid", "amount_total": 1000, "currency": "usd"}}})
    ip = spec["source_ip"]
    return [
        ("POST /signup", proxy_event("POST", "/signup", {"content-type": "application/json"}, signup, ip), 202),
        ("GET /", proxy_event("GET", "/", browser, None, ip), 200),
        ("GET /account", proxy_event("GET", "/account", {"cookie": spec["session_cookie"]}, None, ip), 200),
        ("POST /processor/webhook", proxy_event("POST", "/processor/webhook", {
            "content-type": "application/json",
            "stripe-signature": stripe_signature(callback, spec["webhook_secret"])}, callback, ip), 200),
    ]


def record_loads() -> list[tuple[str, str]]:
    """Every module whose code the import system reads from now on, imported or not: an
    optional import that fails (urllib3's pyopenssl without pyOpenSSL) still costs its
    compile, yet leaves nothing in sys.modules."""
    import importlib.machinery

    loads = []
    original = importlib.machinery.SourceFileLoader.get_code

    def get_code(self, fullname):
        loads.append((fullname, self.path))
        return original(self, fullname)

    importlib.machinery.SourceFileLoader.get_code = get_code
    return loads


def main() -> None:
    unpacked, runtime = sys.argv[1], sys.argv[2]
    spec = json.loads(sys.stdin.read())
    loads = record_loads()
    sys.path[:0] = [unpacked, runtime]
    import app

    if not app.__file__.startswith(unpacked):
        raise SystemExit(f"app came from {app.__file__}, not from the unpacked zip")
    for name, event, expected in requests(spec):
        response = app.app(event, LambdaContext())
        if response["statusCode"] != expected:
            raise SystemExit(f"{name} answered {response['statusCode']}, not {expected}: {response.get('body')!r:.500}")
    prefix = unpacked.rstrip("/") + "/"
    imported = [[name, module.__file__[len(prefix):]] for name, module in list(sys.modules.items())
                if (getattr(module, "__file__", None) or "").startswith(prefix)]
    loaded = [[name, path[len(prefix):]] for name, path in loads if path.startswith(prefix)]
    sys.stdout.write(MARKER + json.dumps({"imported": imported, "loaded": loaded}) + "\n")


if __name__ == "__main__":
    main()
