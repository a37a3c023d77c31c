"""Middleware registered once on the app: Powertools logging with a correlation id, the
body size limit, the contract's error shape for Chalice's own errors, security headers,
and the anonymous access count of each page request (P23)."""
from __future__ import annotations

import gc
import json

from chalice import ConvertToMiddleware, Response

from chalicelib.http import (
    HTML_ROUTES,
    MAX_BODY_BYTES,
    PAGE_ERRORS,
    ONE_CLICK_PATHS,
    TOKEN_AUTHORITY_PATHS,
    UNSAFE_METHODS,
    answers_html,
    begin_request,
    end_request,
    error_body,
    form_fields,
    html_error,
    is_form_post,
)

CONTENT_SECURITY_POLICY = (
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; connect-src 'self'; "
    "form-action 'self'; frame-ancestors 'none'; base-uri 'none'"
)
# Chalice's own error codes, in the contract's snake_case.
CHALICE_CODES = {
    "BadRequestError": "bad_request",
    "BadRequest": "bad_request",
    "MethodNotAllowedError": "method_not_allowed",
    "UnsupportedMediaType": "unsupported_media_type",
    "NotFoundError": "not_found",
    "InternalServerError": "internal_error",
}


def install(app, logger) -> None:
    from aws_lambda_powertools.logging import correlation_paths

    app.register_middleware(_resume_collection, "all")
    app.register_middleware(
        ConvertToMiddleware(
            logger.inject_lambda_context(correlation_id_path=correlation_paths.API_GATEWAY_REST, clear_state=True)
        ),
        "all",
    )
    app.register_middleware(_http_guard, "http")


def _resume_collection(event, get_response):
    """After a container's first event, garbage collection as usual (app.py pauses it for the
    start), the objects the start built moved out of its way: they live as long as the container."""
    try:
        return get_response(event)
    finally:
        if not gc.isenabled():
            gc.freeze()
            gc.enable()


def _http_guard(event, get_response):
    marker = begin_request(event)
    try:
        return _guarded(event, get_response)
    finally:
        end_request(marker)


def _wants_html(event, route: str | None) -> bool:
    """An error answers a page where a page asked: a page route's, a form post's (from one of
    our pages), or a browser's (it accepts HTML; API clients ask for JSON or anything)."""
    return answers_html(route, event.method) or is_form_post(event) or "text/html" in event.headers.get("accept", "")


def _guarded(event, get_response):
    route = event.context.get("resourcePath")
    html = _wants_html(event, route)
    raw = event.raw_body
    if raw and len(raw) > MAX_BODY_BYTES:
        response = _error(413, "payload_too_large", f"The body is larger than {MAX_BODY_BYTES} bytes.", html)
    elif event.method in UNSAFE_METHODS and _refused_origin(event, route):
        response = _error(403, "cross_site_request", "This request came from another site and was refused.", html)
    else:
        response = _reshape_chalice_error(get_response(event), html)
        if event.method == "GET" and (route, "GET") in HTML_ROUTES:  # P23: pages only, not JSON or files
            from chalicelib.viewer import count_page_request

            count_page_request(event)
    response.headers.setdefault("X-Content-Type-Options", "nosniff")
    if response.headers.get("Content-Type", "").startswith("text/html"):
        response.headers.setdefault("Content-Security-Policy", CONTENT_SECURITY_POLICY)
        # No page's URL (a token page's least of all) goes to another site; same-origin, not
        # no-referrer, so a browser posts our forms with a real Origin the check can trust.
        response.headers.setdefault("Referrer-Policy", "same-origin")
    if route in TOKEN_AUTHORITY_PATHS:  # a page or error about a link's token: never in a shared cache
        response.headers.setdefault("Cache-Control", "no-store")
    return response


def _error(status: int, code: str, message: str, html: bool) -> Response:
    if html:
        return html_error(status, message)
    return Response(body=error_body(code, message), status_code=status, headers={"Content-Type": "application/json"})


def _reshape_chalice_error(response: Response, html: bool) -> Response:
    """Chalice answers its own errors as {"Code", "Message"}; the contract has one shape."""
    if response.status_code < 400:
        return response
    body = response.body
    if isinstance(body, (str, bytes)):
        try:
            body = json.loads(body)
        except ValueError:
            return response
    if not (isinstance(body, dict) and set(body) == {"Code", "Message"}):
        return response
    code = CHALICE_CODES.get(body["Code"], "error")
    message = "The server failed to answer this request." if response.status_code >= 500 else body["Message"]
    if html and response.status_code in PAGE_ERRORS:  # Chalice's words are for developers
        message = ""
    reshaped = _error(response.status_code, code, message, html)
    for name, value in response.headers.items():
        if name.lower() not in ("content-type", "content-length"):
            reshaped.headers.setdefault(name, value)
    return reshaped


def _refused_origin(request, route: str | None) -> bool:
    if route in TOKEN_AUTHORITY_PATHS:
        return not (route in ONE_CLICK_PATHS and _one_click(request)) and not _same_origin(request)
    return _cross_site(request)


def _one_click(request) -> bool:
    """The RFC 8058 body a mail provider posts to a List-Unsubscribe URL."""
    from shared.errors import DomainError

    try:
        return form_fields(request).get("List-Unsubscribe") == "One-Click"
    except DomainError:
        return False


def _same_origin(request) -> bool:
    """Our own page: Origin names the stage (or its CORS origin); or a browser that sends no
    usable Origin says so itself (Sec-Fetch-Site, which pages cannot set)."""
    origin = request.headers.get("origin")
    if origin and origin != "null":
        return origin.rstrip("/") in _allowed_origins()
    return request.headers.get("sec-fetch-site") == "same-origin"


def _allowed_origins() -> set[str]:
    from urllib.parse import urlsplit

    from shared.settings import get_settings

    from chalicelib.http import cors_config

    origins = [get_settings().base_url] + ([cors_config().allow_origin] if cors_config() else [])
    return {f"{urlsplit(o).scheme}://{urlsplit(o).netloc}" for o in origins}


def _cross_site(request) -> bool:
    """A browser names the page a request comes from (Origin, else Referer); one from another
    site must not act with our cookies. SameSite=Lax is the first guard, this the second.
    Requests naming no origin at all do not come from a browser page and carry no cookie
    the browser attached on its own, unless the browser says where they come from itself:
    Sec-Fetch-Site cross-site or same-site (a sibling subdomain is another site's page) is
    refused without an Origin to clear it."""
    from urllib.parse import urlsplit

    origin = request.headers.get("origin") or request.headers.get("referer")
    if not origin:
        return request.headers.get("sec-fetch-site") in ("cross-site", "same-site")
    theirs = urlsplit(origin)
    return f"{theirs.scheme}://{theirs.netloc}" not in _allowed_origins()
