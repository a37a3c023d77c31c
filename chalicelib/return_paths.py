"""Where a sign-in goes back to: a page of the store, named by its path alone.

The path is taken from the page the sign-in started on and stored with the link's token, so
the link itself carries none (a link cannot be made to send its user elsewhere). It is
checked when it is stored and again when it is used: only a path (no scheme, host, query or
fragment) that a GET page route matches, never a token route nor a page that needs a query.
"""
from __future__ import annotations

import re
from urllib.parse import urlsplit

from chalicelib.http import HTML_ROUTES, TOKEN_AUTHORITY_PATHS

NOT_RETURNED_TO = {"/login", "/checkout/return"}  # pointless, or meaningless without its query
MAX_LENGTH = 200
_VALUE = re.compile(r"^[A-Za-z0-9_-]{1,100}$")  # a route's value: an id, a code, a slug


def page_path(request) -> str | None:
    """The page a request came from, if it is one to come back to: a GET's own path, rebuilt
    from its route and values (a deployed stage's prefix is not in it), or for a form post the
    page that sent it (its Referer, which the edge has already checked is one of ours)."""
    if request.method != "GET":
        return safe(urlsplit(request.headers.get("referer") or "").path)
    route = (request.context or {}).get("resourcePath") or ""
    for name, value in (request.uri_params or {}).items():
        route = route.replace("{" + name + "}", str(value))
    return safe(route)


def safe(candidate: str | None) -> str | None:
    """The candidate if it is a page to come back to, else None."""
    if not candidate or len(candidate) > MAX_LENGTH or not candidate.startswith("/"):
        return None
    parts = candidate.split("/")[1:]
    for route, method in HTML_ROUTES:
        if method != "GET" or route in TOKEN_AUTHORITY_PATHS or route in NOT_RETURNED_TO:
            continue
        template = route.split("/")[1:]
        if len(template) == len(parts) and all(
            expected == part or (expected.startswith("{") and _VALUE.match(part))
            for expected, part in zip(template, parts)
        ):
            return candidate
    return None
