"""HTML pages from Jinja2 templates (built on first use), with the header every page shares."""
from __future__ import annotations

import functools
from dataclasses import dataclass
from pathlib import Path

from chalice import Response

# The topics' labels, the same words as in mail: one source, in shared/mail/topics.py.
from shared.mail.topics import TOPIC_LABELS as TOPIC_LABELS

HTML = "text/html; charset=utf-8"

@dataclass(frozen=True)
class Header:
    """What the header shows: sign-in state and the cart's count of cards."""

    signed_in: bool = False
    cart_count: int = 0


def _header() -> Header:
    """Read only where the browser has the cookie for it, so a first visit (and the cold
    start's home page) reads nothing."""
    from chalicelib.http import current_viewer

    viewer = current_viewer()
    if viewer is None:
        return Header()
    if "header" not in viewer:
        viewer["header"] = _read_header(viewer)
    return viewer["header"]


def _read_header(viewer: dict) -> Header:
    from chalicelib import cookies

    request = viewer["request"]
    session, cart_id = cookies.read(request, cookies.SESSION), cookies.read(request, cookies.CART)
    if not (session or cart_id or viewer.get("account")):
        return Header()
    from shared.ports import process_ports

    ports = process_ports()
    signed_in = viewer.get("account") is not None
    if session and not signed_in:
        from functions.sessions import account_for
        from shared.errors import NotSignedIn

        try:
            account_for(session, ports)
            signed_in = True
        except NotSignedIn:
            pass
    count = 0
    if cart_id:
        from functions import cart

        count = sum(cart.read(cart_id, ports).values())
    return Header(signed_in=signed_in, cart_count=count)


@functools.cache
def _environment():
    from shared.templating import jinja_environment

    environment = jinja_environment(Path(__file__).parent / "templates")
    environment.globals["page_header"] = _header
    return environment


def render_page(template: str, *, status: int = 200, headers: dict | None = None, **context) -> Response:
    body = _environment().get_template(template).render(**context)
    return Response(body=body, status_code=status, headers={"Content-Type": HTML, **(headers or {})})


# Pages opened from a link that carries a token: the token must not leak through the
# Referer header to another site, nor sit in a shared cache. same-origin, not no-referrer:
# under no-referrer browsers post the page's form with "Origin: null", and the token
# routes accept only posts from our own pages.
TOKEN_PAGE_HEADERS = {"Referrer-Policy": "same-origin", "Cache-Control": "no-store"}
