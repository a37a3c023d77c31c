"""No 5xx from anything a client can send: every route and method, with path parameters,
bodies, content types and cookies a hostile or broken client might send."""
from __future__ import annotations

import itertools
import json

import pytest

import app
from tests.integration.accounts_helpers import signed_in

PATH_VALUES = ["x", "x" * 3000, "%00", "ORDER%231", "null", "ord_" + "0" * 24, "cs_test_1", "-"]
BODIES = ["", "null", "[]", "{}", "0", '"text"', '{"email": 5, "topics": "all"}',
          json.dumps({"sku": "MX-10", "quantity": 1, "email": "a@example.org", "name": "A", "promotions": True,
                      "topic": "question", "topics": {"newsletter": True, "promotions": True}}),
          "List-Unsubscribe=One-Click", "\x00\xff", "[" * 5000 + "]" * 5000, json.dumps({"x": "y" * 60_000})]
CONTENT_TYPES = ["application/json", "application/x-www-form-urlencoded", "multipart/form-data; boundary=zz", "text/plain"]


def routes():
    for path, methods in sorted(app.app.routes.items()):
        for method in sorted(methods):
            yield path, method


def concrete(path: str, value: str) -> str:
    parts = [value if p.startswith("{") else p for p in path.split("/")]
    return "/".join(parts)


@pytest.mark.parametrize("path, method", list(routes()))
def test_no_route_answers_5xx_to_hostile_requests(http, ports, make_person, path, method):
    _, cookie = signed_in(http, ports, make_person())
    call = getattr(http.client.http, method.lower())
    cookies = [None, cookie, "__Host-session=bogus; __Host-cart=" + "z" * 500]
    values = PATH_VALUES if "{" in path else [""]
    bodies = BODIES if method in ("POST", "PUT", "PATCH") else [""]
    # Every body with every content type; path values and cookies rotate through them.
    for n, (body, content_type) in enumerate(itertools.product(bodies, CONTENT_TYPES)):
        value, jar = values[n % len(values)], cookies[n % len(cookies)]
        headers = {"Content-Type": content_type, "Idempotency-Key": "k" * (n * 7 % 300)}
        if jar:
            headers["Cookie"] = jar
        response = call(concrete(path, value) + ("?order_id=" + value if "return" in path else ""), headers=headers, body=body)
        assert response.status_code < 500, (method, path, value[:20], body[:20], content_type, response.body[:200])
