"""Route registration for JSON and HTML routes, and the one place errors become HTTP.

Request models are named as "module:Class" and imported on first use, so no route's
pydantic models (or what they import) load when the app starts.
"""
from __future__ import annotations

import functools
import importlib
import inspect
import json
import os
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Callable

from chalice import Response

from shared.errors import DomainError, InvalidInput, NotSignedIn

MAX_BODY_BYTES = 64 * 1024
JSON = "application/json"
FORM_TYPES = ["application/x-www-form-urlencoded", "multipart/form-data"]
ANY_TYPE = "*/*"
BODY_METHODS = ("POST", "PUT", "PATCH")
UNSAFE_METHODS = {*BODY_METHODS, "DELETE"}

# Routes whose token in the path is the authority: their pages send no token onward, and
# their unsafe requests must come from our own pages (a link from another site must not
# sign a visitor in to the sender's account). Only an RFC 8058 one-click post to a
# List-Unsubscribe URL, which mail providers send with no Origin, is exempt.
TOKEN_AUTHORITY_PATHS = {"/login/{token}", "/unsubscribe/{token}", "/friends/forget/{token}"}
ONE_CLICK_PATHS = {"/unsubscribe/{token}", "/friends/forget/{token}"}


@dataclass(frozen=True)
class JsonRoute:
    path: str
    method: str
    summary: str
    request: str | None
    response: str | None
    status: int
    signed_in: bool = False
    body_optional: bool = False
    headers: tuple[str, ...] = ()
    cookies: tuple[str, ...] = ()
    answers: tuple[int, ...] = ()
    query: tuple[str, ...] = ()


# The request being answered, and what the edge already learnt about its viewer: a page's
# header reads it without each view passing it on (one request at a time). Here, not in
# chalicelib.pages, so a JSON request's cold start does not load the pages.
_VIEWER: ContextVar[dict | None] = ContextVar("page_viewer", default=None)


def begin_request(request):
    return _VIEWER.set({"request": request})


def end_request(marker) -> None:
    _VIEWER.reset(marker)


def current_viewer() -> dict | None:
    return _VIEWER.get()


def _note_account(account) -> None:
    """The session's account, once the edge has read it: the header need not read it again."""
    viewer = _VIEWER.get()
    if viewer is not None:
        viewer["account"] = account


JSON_ROUTES: list[JsonRoute] = []
HTML_ROUTES: set[tuple[str, str]] = set()  # (path, method) of every page
HTML_PATHS: set[str] = set()
FORM_ROUTES: set[tuple[str, str]] = set()  # (path, method) of every route a plain HTML form posts to


def answers_html(path: str | None, method: str) -> bool:
    """Whether a request's errors are an HTML page: a page's are, and so are those of a method
    no route has on a path of pages only. A path can hold both kinds (/login: the page and
    the JSON post), so the method decides."""
    if (path, method) in HTML_ROUTES:
        return True
    return path in HTML_PATHS and not any(r.path == path for r in JSON_ROUTES)


@functools.cache
def cors_config():
    """Browsers on the stage's other web origin may call the JSON routes with cookies. One
    named origin per stage (CORS_ALLOWED_ORIGIN), never a wildcard; none by default. Read
    when routes register, as Chalice needs it then."""
    origin = os.environ.get("CORS_ALLOWED_ORIGIN", "").strip()
    if not origin:
        return None
    if "*" in origin or not origin.startswith("https://"):
        raise RuntimeError("setting CORS_ALLOWED_ORIGIN must be one https origin, never a wildcard")
    from chalice import CORSConfig

    return CORSConfig(allow_origin=origin, allow_credentials=True, max_age=600,
                      allow_headers=["Content-Type", "Idempotency-Key"])


@functools.cache
def model_named(name: str):
    """The model a route names as "module:attribute" (loaded on first use, for the cold start)."""
    module, _, attribute = name.partition(":")
    return getattr(importlib.import_module(module), attribute)


def error_body(code: str, message: str) -> dict:
    return {"error": {"code": code, "message": message}}


def json_error(status: int, code: str, message: str, headers: dict | None = None) -> Response:
    return Response(body=error_body(code, message), status_code=status, headers={"Content-Type": JSON, **(headers or {})})


# A browser's page for the edge's own errors, in words for people (the JSON keeps its own).
PAGE_ERRORS = {
    404: ("Page not found", "There is no page at this address. If you typed it, check it; if a link brought you "
                            "here, the page may have moved."),
    405: ("This page cannot do that", "This page cannot be used that way. Go back and try again from the page "
                                      "you came from."),
    415: ("This form cannot be sent", "The form was sent in a way the store cannot read. Go back and try again."),
}


def html_error(status: int, message: str) -> Response:
    from chalicelib.pages import render_page

    title, words = PAGE_ERRORS.get(status, ("Something is not right", ""))
    message = message or words
    return render_page("error.html", status=status, title=title, message=message)


def describe_validation(error) -> str:
    """Which fields are wrong and why, never echoing the input (it may be personal data)."""
    parts = []
    for problem in error.errors(include_input=False, include_url=False):
        where = ".".join(str(p) for p in problem["loc"]) or "body"
        parts.append(f"{where}: {problem['msg']}")
    return "; ".join(parts[:10])


def problems_by_field(message: str) -> dict[str, str]:
    """A problem message ("field: what is wrong; ...") as {field: what is wrong}, so a page can
    mark each field it names and tie it to its words; a part naming no field is under "form"."""
    problems: dict[str, str] = {}
    for part in message.split("; "):
        field, separator, text = part.partition(": ")
        problems[field if separator else "form"] = text if separator else part
    return problems


def parse_json(request, model_name: str):
    from pydantic import ValidationError

    raw = request.raw_body or b""
    try:
        data = json.loads(raw) if raw else None
    except (ValueError, UnicodeDecodeError, RecursionError):
        raise InvalidInput("The body is not valid JSON.", code="invalid_json") from None
    if not isinstance(data, dict):
        raise InvalidInput("The body must be a JSON object.", code="invalid_json")
    try:
        return model_named(model_name).model_validate(data)
    except ValidationError as error:
        raise InvalidInput(describe_validation(error), code="validation_error") from None


def signed_in_account(request, ports):
    """The active account of the request's session cookie, or NotSignedIn."""
    from chalicelib import cookies
    from functions.sessions import account_for

    return account_for(cookies.read(request, cookies.SESSION), ports)


def _view_arguments(view: Callable, signed_in: bool) -> Callable[[dict, object], None]:
    """What the edge hands a view besides the path's values: the process's ports, where the
    view names them, and the signed-in account."""
    wants_ports = "ports" in inspect.signature(view).parameters

    def fill(params: dict, request) -> None:
        if not (wants_ports or signed_in):
            return
        from shared.ports import process_ports

        if wants_ports:
            params["ports"] = process_ports()
        if signed_in:
            params["account"] = signed_in_account(request, process_ports())
            _note_account(params["account"])

    return fill


def json_route(blueprint, path: str, method: str, *, summary: str, request: str | None = None,
               response: str | None = None, status: int = 200, signed_in: bool = False,
               body_optional: bool = False, headers: tuple[str, ...] = (), cookies: tuple[str, ...] = (),
               answers: tuple[int, ...] = (), query: tuple[str, ...] = (), form: Callable | None = None) -> Callable:
    """A JSON route: body parsed into `request`, result serialised, domain errors mapped.
    `form`: the route's plain HTML form variant, for pages without JavaScript. A form post
    (urlencoded or multipart) goes to it as `form(fields, ports, **the view's arguments)`
    and it answers a page or a 303; JSON clients are served as before.
    `signed_in`: the view gets the session's `account`; without one the answer is 401.
    `body_optional`: an empty body reaches the view as None.
    For the OpenAPI document: the request `headers`, `cookies` and `query` parameters the view
    reads, and the statuses its use case `answers` besides success and the edge's own (400 for
    a bad body, 401 without a session, 403 cross-site, 413 too large, 415 not JSON)."""

    def register(view: Callable) -> Callable:
        fill = _view_arguments(view, signed_in)

        @functools.wraps(view)
        def handle(**params):
            if form is not None and is_form_post(blueprint.current_request):
                return _answer_form(form, params, fill, blueprint.current_request)
            try:
                fill(params, blueprint.current_request)
                if request is not None:
                    empty = not (blueprint.current_request.raw_body or b"").strip()
                    params["body"] = None if body_optional and empty else parse_json(blueprint.current_request, request)
                result = view(**params)
            except DomainError as error:
                return json_error(error.status, error.code, error.message)
            if isinstance(result, Response):
                return result
            body = result.model_dump(mode="json") if hasattr(result, "model_dump") else result
            return Response(body=body, status_code=status, headers={"Content-Type": JSON})

        # A GET or DELETE reads no body, so its Content-Type is no reason to refuse it.
        content_types = [JSON] if method in BODY_METHODS else [ANY_TYPE]
        if form is not None or (request is None and method in BODY_METHODS):  # forms and empty posts too
            content_types = [JSON, *FORM_TYPES]
        options = {"methods": [method], "content_types": content_types}
        if cors_config() is not None:
            options["cors"] = cors_config()
        blueprint.route(path, **options)(handle)
        if form is not None:
            FORM_ROUTES.add((path, method))
        JSON_ROUTES.append(JsonRoute(path, method, summary, request, response, status, signed_in=signed_in,
                                     body_optional=body_optional, headers=headers, cookies=cookies, answers=answers,
                                     query=query))
        return handle

    return register


def page_route(blueprint, path: str, methods: list[str], *, forms: bool = False, signed_in: bool = False) -> Callable:
    """An HTML route: domain errors become an HTML page with the same status.
    `signed_in`: the view gets the session's `account`; without one, the sign-in page (401)."""

    def register(view: Callable) -> Callable:
        fill = _view_arguments(view, signed_in)

        @functools.wraps(view)
        def handle(**params):
            try:
                fill(params, blueprint.current_request)
                return view(**params)
            except NotSignedIn as error:
                return sign_in_page(error, blueprint.current_request)
            except DomainError as error:
                return html_error(error.status, error.message)

        options = {"methods": methods}
        if forms:
            options["content_types"] = FORM_TYPES
            FORM_ROUTES.update((path, m) for m in methods)
        blueprint.route(path, **options)(handle)
        HTML_ROUTES.update((path, m) for m in methods)
        HTML_PATHS.add(path)
        return handle

    return register


def is_form_post(request) -> bool:
    content_type = request.headers.get("content-type", "")
    return any(content_type.startswith(kind) for kind in FORM_TYPES)


def _answer_form(form: Callable, params: dict, fill: Callable[[dict, object], None], request):
    from shared.ports import process_ports

    try:
        fill(params, request)
        params.setdefault("ports", process_ports())
        return form(form_fields(request), **params)
    except NotSignedIn as error:
        return sign_in_page(error, request)
    except DomainError as error:
        return html_error(error.status, error.message)


def sign_in_page(error: NotSignedIn, request):
    """A page or form post that needs a session, asked for without one: the sign-in form, which
    comes back to the page the customer was on (see chalicelib.return_paths)."""
    from chalicelib.pages import render_page
    from chalicelib.return_paths import page_path

    return_to = page_path(request)
    return render_page("sign_in.html", status=error.status, title="Sign in", message=error.message,
                       return_to=return_to, problems={}, values={})


def form_fields(request) -> dict[str, str]:
    """Fields of an urlencoded or multipart form post (the RFC 8058 one-click body is either)."""
    content_type = request.headers.get("content-type", "")
    raw = request.raw_body or b""
    if content_type.startswith("multipart/form-data"):
        return _multipart_fields(content_type, raw)
    from urllib.parse import parse_qs

    try:
        parsed = parse_qs(raw.decode("utf-8"), keep_blank_values=True)
    except UnicodeDecodeError:
        raise InvalidInput("The form is not valid UTF-8.") from None
    return {name: values[0] for name, values in parsed.items()}


def _multipart_fields(content_type: str, raw: bytes) -> dict[str, str]:
    from email.parser import BytesParser
    from email.policy import HTTP

    message = BytesParser(policy=HTTP).parsebytes(b"Content-Type: " + content_type.encode() + b"\r\n\r\n" + raw)
    if not message.is_multipart():
        raise InvalidInput("The multipart form could not be read.")
    fields = {}
    for part in message.iter_parts():
        name = part.get_param("name", header="content-disposition")
        if name:
            payload = part.get_payload(decode=True) or b""
            fields[name] = payload.decode("utf-8", errors="replace")
    return fields
