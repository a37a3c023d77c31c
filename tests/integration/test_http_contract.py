"""The HTTP contract's edges: the error shape, bad input that writes nothing, the public
pages and their headers, and the generated OpenAPI document."""
from __future__ import annotations

import json
from unittest.mock import ANY

import pytest

from shared.ids import address_hash


def assert_error(response, status: int, code: str | None = None) -> dict:
    assert response.status_code == status, response.body
    body = json.loads(response.body)
    assert set(body) == {"error"} and set(body["error"]) == {"code", "message"}
    assert body["error"]["message"]
    if code:
        assert body["error"]["code"] == code
    return body["error"]


def nothing_written_for(ports, address: str) -> bool:
    return ports.accounts.account_id_for(address_hash(address, ports.settings.hash_key())) is None


def test_health(http):
    response = http.get("/health")
    assert response.status_code == 200 and http.json(response) == {"status": "ok"}


@pytest.mark.parametrize("body, code", [
    ("{not json", "invalid_json"),
    ("[1, 2]", "invalid_json"),
    ("", "invalid_json"),
    ('{"name": "A", "promotions": true}', "validation_error"),  # no address
    ('{"email": "a@example.org", "name": "A", "promotions": "yes"}', "validation_error"),
    ('{"email": "not-an-address", "name": "A", "promotions": true}', "validation_error"),
    ('{"email": "a@example.org", "name": "", "promotions": true}', "validation_error"),
    ('{"email": "a@example.org", "name": "A", "promotions": true, "admin": true}', "validation_error"),
    ('{"email": 7, "name": "A", "promotions": true}', "validation_error"),
])
def test_bad_signup_bodies_get_a_400_in_the_contract_shape(http, body, code):
    assert_error(http.post_json("/signup", body), 400, code)


def test_validation_errors_name_the_field_but_never_echo_the_input(http, ports, person):
    error = assert_error(http.post_json("/signup", {"email": person.email, "name": person.name, "promotions": "maybe"}), 400)
    assert "promotions" in error["message"]
    assert person.email not in error["message"] and person.name not in error["message"]
    assert nothing_written_for(ports, person.email)


def test_a_body_over_64_kb_gets_413_and_writes_nothing(http, ports, person):
    huge = json.dumps({"email": person.email, "name": person.name, "promotions": True, "pad": "x" * 70_000})
    assert_error(http.post_json("/signup", huge), 413, "payload_too_large")
    assert nothing_written_for(ports, person.email)


def test_chalice_own_errors_are_reshaped(http):
    wrong_type = http.client.http.post("/signup", headers={"Content-Type": "text/plain"}, body="hi")
    assert_error(wrong_type, 415, "unsupported_media_type")
    wrong_method = http.client.http.put("/signup", headers={"Content-Type": "application/json"}, body="{}")
    assert_error(wrong_method, 405, "method_not_allowed")


@pytest.mark.parametrize("body", [
    {"email": "a@example.org", "topic": "everything"},
    {"email": "a@example.org", "topic": "question", "message": "x" * 5001},
    {"topic": "question"},
])
def test_bad_contact_requests_get_400(http, body):
    assert_error(http.post_json("/contact", body), 400, "validation_error")


def test_login_link_that_never_existed_gets_an_html_4xx_page(http):
    for response in (http.get("/login/nonsense"), http.post_form("/login/nonsense", "")):
        assert response.status_code == 400
        assert response.headers["Content-Type"].startswith("text/html")
        assert b"expired or was already used" in response.body


@pytest.mark.parametrize("path", ["/", "/privacy", "/login/abc", "/unsubscribe/abc"])
def test_every_html_page_sends_csp_and_nosniff(http, path):
    response = http.get(path)
    assert response.headers["Content-Type"].startswith("text/html")
    assert "default-src 'none'" in response.headers["Content-Security-Policy"]
    assert response.headers["X-Content-Type-Options"] == "nosniff"


@pytest.mark.parametrize("path", ["/login/abc", "/unsubscribe/abc"])
def test_token_pages_send_their_url_to_no_other_site_and_no_cache(http, path):
    """same-origin, not no-referrer: under no-referrer browsers post with Origin: null,
    which the token routes must refuse (login CSRF)."""
    page = http.get(path)
    assert page.headers["Referrer-Policy"] == "same-origin" and page.headers["Cache-Control"] == "no-store"


def test_home_links_to_signup_and_policy(http):
    page = http.get("/").body.decode()
    assert 'action="/signup"' in page and 'href="/privacy"' in page


def test_privacy_page_shows_version_1_and_versions_are_listed(http):
    page = http.get("/privacy")
    assert page.status_code == 200 and b"Version 1" in page.body
    versions = http.json(http.get("/privacy.json"))["versions"]
    assert versions[0]["version"] == 1 and versions[0]["material"] is True and versions[0]["effective"]


def test_openapi_document_is_generated_from_the_models(http):
    spec = http.json(http.get("/openapi.json"))
    assert spec["openapi"].startswith("3.")
    signup = spec["paths"]["/signup"]["post"]
    ref = signup["requestBody"]["content"]["application/json"]["schema"]["$ref"].rsplit("/", 1)[1]
    schema = spec["components"]["schemas"][ref]
    assert set(schema["required"]) == {"email"}  # name and promotions are accepted, then dropped (P02)
    assert {"email", "name", "promotions"} <= set(schema["properties"])
    assert "202" in signup["responses"] and "400" in signup["responses"]
    assert {"/health", "/contact", "/privacy.json"} <= set(spec["paths"])


def test_openapi_document_is_valid_openapi(http):
    from openapi_spec_validator import validate

    validate(http.json(http.get("/openapi.json")))


def test_deeply_nested_json_is_a_400_not_a_crash(http):
    assert_error(http.post_json("/signup", "[" * 20_000 + "]" * 20_000), 400, "invalid_json")


@pytest.mark.parametrize("cookie", ["__Host-cart=" + "x" * 3000, "__Host-cart=../../etc", "__Host-cart="])
def test_a_cart_cookie_we_did_not_mint_is_no_cart(http, cookie):
    response = http.client.http.get("/cart", headers={"Cookie": cookie})
    assert response.status_code == 200 and http.json(response)["items"] == []
    added = http.client.http.post("/cart/items", headers={"Cookie": cookie, "Content-Type": "application/json"},
                                  body=json.dumps({"sku": "MX-10", "quantity": 1}))
    assert added.status_code == 200 and added.headers["Set-Cookie"].startswith("__Host-cart=")


def operations(spec: dict):
    for path, methods in spec["paths"].items():
        for method, operation in methods.items():
            yield method.upper(), path, operation


def concrete(path: str) -> str:
    return path.replace("{sku}", "MX-10").replace("{order_id}", "ord_000000000000000000000000")


def test_openapi_document_declares_the_session_cookie_on_every_signed_in_operation(http):
    spec = http.json(http.get("/openapi.json"))
    assert spec["components"]["securitySchemes"]["session"] == {
        "type": "apiKey", "in": "cookie", "name": "__Host-session", "description": ANY}
    for method, path, operation in operations(spec):
        anonymous = http.client.http.request(method, concrete(path), headers={"Content-Type": "application/json"},
                                             body=b"{}")
        if anonymous.status_code == 401:
            assert operation.get("security") == [{"session": []}], (method, path)
            assert "401" in operation["responses"], (method, path)
        else:
            assert [{"session": []}] != operation.get("security"), (method, path)
    assert spec["paths"]["/logout"]["post"]["security"] == [{"session": []}, {}]  # read when present


@pytest.mark.parametrize("method, path, status", [
    ("GET", "/account/orders/{order_id}", 404),
    ("POST", "/checkout", 409),
    ("POST", "/checkout", 400),
    ("POST", "/processor/webhook", 400),
    ("POST", "/processor/webhook", 409),
    ("PATCH", "/account", 404),
    ("POST", "/logout", 303),
])
def test_openapi_document_names_the_statuses_the_use_cases_answer(http, method, path, status):
    spec = http.json(http.get("/openapi.json"))
    assert str(status) in spec["paths"][path][method.lower()]["responses"]


def test_every_unsafe_operation_documents_the_cross_site_403_it_answers(http):
    spec = http.json(http.get("/openapi.json"))
    unsafe = [(m, p, o) for m, p, o in operations(spec) if m in ("POST", "PUT", "PATCH", "DELETE")]
    assert len(unsafe) >= 10
    for method, path, operation in unsafe:
        refused = http.client.http.request(method, concrete(path), body=b"{}", headers={
            "Content-Type": "application/json", "Origin": "https://elsewhere.example"})
        assert_error(refused, 403, "cross_site_request")
        assert {"403", "413"} <= set(operation["responses"]), (method, path)


def test_openapi_document_names_the_headers_and_cookies_routes_read(http):
    spec = http.json(http.get("/openapi.json"))
    checkout = spec["paths"]["/checkout"]["post"]
    key = next(p for p in checkout["parameters"] if p["name"] == "Idempotency-Key")
    assert key["in"] == "header" and key["required"] and key["schema"]["pattern"]
    assert checkout["requestBody"]["required"] is False  # an empty body checks out the cart
    signature = spec["paths"]["/processor/webhook"]["post"]["parameters"][0]
    assert (signature["name"], signature["in"], signature["required"]) == ("Stripe-Signature", "header", True)
    assert {p["name"] for p in spec["paths"]["/cart"]["get"]["parameters"]} == {"__Host-cart"}
    signup = spec["components"]["schemas"]["SignupRequest"]["properties"]
    assert signup["email"]["format"] == "email"


def test_the_json_post_on_a_path_that_also_has_a_page_answers_errors_in_json(http):
    """/login is a page (GET) and a JSON route (POST): the POST's errors are the contract's JSON."""
    assert_error(http.client.http.post("/login", headers={"Content-Type": "text/plain"}, body="x"), 415)
    assert_error(http.post_json("/login", {"email": "a@example.org"}, headers={"Origin": "https://elsewhere.example"}),
                 403, "cross_site_request")
    assert_error(http.post_json("/login", {"email": "a@example.org", "pad": "x" * 70_000}), 413, "payload_too_large")
    page = http.get("/login")
    assert page.status_code == 200 and page.headers["Content-Type"].startswith("text/html")


def test_a_route_that_reads_no_body_ignores_the_content_type(http):
    for path in ("/health", "/products", "/cart"):
        assert http.get(path, headers={"Content-Type": "text/plain"}).status_code == 200
    removed = http.client.http.delete("/cart/items/MX-10", headers={"Content-Type": "text/plain"})
    assert removed.status_code == 200


@pytest.mark.parametrize("fetch_site", ["cross-site", "same-site"])
def test_every_unsafe_route_refuses_a_browser_that_says_cross_site_and_names_no_origin(http, fetch_site):
    """A browser that sends neither Origin nor Referer still says where a request comes from:
    Sec-Fetch-Site cross-site or same-site (a sibling subdomain) is refused on every unsafe
    route, JSON and form alike; plain form posts skip CORS preflight, so each form variant
    needs this as much as the JSON one."""
    import re

    import app  # noqa: F401  every route registered
    from chalicelib.http import HTML_ROUTES, JSON_ROUTES, UNSAFE_METHODS

    def filled(path: str) -> str:
        return re.sub(r"\{[a-z_]+\}", "x" * 24, concrete(path))

    json_routes = {(r.method, r.path) for r in JSON_ROUTES if r.method in UNSAFE_METHODS}
    form_routes = {(m, p) for p, m in HTML_ROUTES if m in UNSAFE_METHODS}
    assert len(json_routes) >= 10 and len(form_routes) >= 5
    for (method, path), content_type, body in (
            *[(r, "application/json", b"{}") for r in sorted(json_routes)],
            *[(r, "application/x-www-form-urlencoded", b"a=b") for r in sorted(form_routes)]):
        refused = http.client.http.request(method, filled(path), body=body, headers={
            "Content-Type": content_type, "Sec-Fetch-Site": fetch_site})
        assert refused.status_code == 403, (method, path, content_type, refused.status_code)
