"""schemathesis against a real local stage: every operation of GET /openapi.json, anonymous
and signed in, answers no 5xx and no status, content type or body its document does not name.

Bounded for CI: 25 examples per operation and phase, a fixed seed, one worker, no example
database. Both runs take about a minute and a half together on two cores.
"""
from __future__ import annotations

import http.client
import json
import re
import subprocess
import sys
import urllib.request
from pathlib import Path
from urllib.parse import urlsplit

from tests.e2e.test_browser import WELCOME, link

SCHEMATHESIS = [sys.executable, "-m", "schemathesis.cli"]
CHECKS = "not_a_server_error,status_code_conformance,content_type_conformance,response_schema_conformance"
# Warnings that mean the run did not test what it says it tests.
HOLLOW_RUN = ["unmatched_filter", "unsupported_regex", "unresolvable_reference", "missing_deserializer"]
MAX_EXAMPLES = 25
SEED = 20261129
# The two operations that end the session the signed-in run uses; the anonymous run covers them.
ENDS_THE_SESSION = ["/account/deactivate", "/logout"]


def run_schemathesis(local_stage, folder: Path, config: str, checks: str, *options: str, operations: int) -> str:
    config_file = folder / "schemathesis.toml"
    config_file.write_text(config)
    command = [*SCHEMATHESIS, "--config-file", str(config_file), "--no-color", "run", local_stage.url("/openapi.json"),
               "--checks", checks, "--max-examples", str(MAX_EXAMPLES), "--seed", str(SEED), "--workers", "1",
               "--generation-database", "none", "--request-timeout", "15", *options]
    result = subprocess.run(command, cwd=folder, capture_output=True, text=True, timeout=600)
    output = result.stdout + result.stderr
    assert result.returncode == 0, output[-12000:]
    tested = re.search(r"Tested: (\d+)", output)
    counts = re.search(r"(\d+) generated, (\d+) passed", output)
    assert tested and counts, output[-3000:]
    generated, passed = map(int, counts.groups())
    print(f"schemathesis: {tested.group(1)} operations, {generated} cases generated, {passed} passed")
    assert int(tested.group(1)) == operations and generated >= 20 * operations, output[-3000:]
    return output


def operation_count(local_stage) -> int:
    """The document's operations but GET /openapi.json, which schemathesis leaves out itself:
    it is where the document comes from."""
    with urllib.request.urlopen(local_stage.url("/openapi.json"), timeout=10) as response:
        return sum(len(methods) for methods in json.loads(response.read())["paths"].values()) - 1


def warnings_failing(names: list[str]) -> str:
    return "[warnings]\nfail-on = [" + ", ".join(f'"{name}"' for name in names) + "]\n"


def sign_in(local_stage, person) -> str:
    """A confirmed account, then a session from the sign-in link flow: POST /login, the
    mailed link, POST /login/{token} from our own page. Returns the session token."""
    local_stage.post_json("/signup", {"email": person.email, "name": person.name, "promotions": False})
    confirmed, _ = post_link(local_stage, link(local_stage.wait_for_mail(person.email, WELCOME)["text"], "/login/"))
    assert confirmed == 303
    status, _ = local_stage.post_json("/login", {"email": person.email})
    assert status == 202
    status, set_cookie = post_link(local_stage, link(local_stage.wait_for_mail(person.email, "sign-in link")["text"],
                                                     "/login/"))
    assert status == 303 and set_cookie.startswith("__Host-session=")
    return set_cookie.split(";", 1)[0].split("=", 1)[1]


def post_link(local_stage, url: str) -> tuple[int, str]:
    return request(local_stage, "POST", urlsplit(url).path,
                   {"Origin": local_stage.base_url, "Content-Type": "application/x-www-form-urlencoded"})


def request(local_stage, method: str, path: str, headers: dict) -> tuple[int, str]:
    address = urlsplit(local_stage.base_url)
    connection = http.client.HTTPConnection(address.hostname, address.port, timeout=10)
    try:
        connection.request(method, path, body=b"", headers=headers)
        response = connection.getresponse()
        response.read()
        return response.status, response.getheader("Set-Cookie") or ""
    finally:
        connection.close()


def test_anonymous_every_operation_answers_only_what_the_document_says(local_stage, tmp_path):
    run_schemathesis(local_stage, tmp_path, warnings_failing(HOLLOW_RUN), CHECKS,
                     operations=operation_count(local_stage))


def test_signed_in_every_operation_answers_only_what_the_document_says(local_stage, tmp_path, person):
    token = sign_in(local_stage, person)
    config = warnings_failing([*HOLLOW_RUN, "missing_auth", "unused_openapi_auth"])
    config += f'[auth.openapi.session]\napi_key = "{token}"\n'  # the document's cookie scheme
    excluded = [option for path in ENDS_THE_SESSION for option in ("--exclude-path", path)]
    output = run_schemathesis(local_stage, tmp_path, config, CHECKS + ",ignored_auth", *excluded,
                              operations=operation_count(local_stage) - len(ENDS_THE_SESSION))
    assert "Authentication failed" not in output
    status, _ = request(local_stage, "GET", "/account", {"Cookie": f"__Host-session={token}"})
    assert status == 200, "the session ended during the run: the signed-in operations were tested anonymously"
