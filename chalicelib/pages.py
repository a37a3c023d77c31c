"""HTML pages from Jinja2 templates (built on first use)."""
from __future__ import annotations

import functools
from pathlib import Path

from chalice import Response

HTML = "text/html; charset=utf-8"
TOPIC_LABELS = {"newsletter": "Newsletter (periodic announcements)", "promotions": "Special offers"}


@functools.cache
def _environment():
    from shared.templating import jinja_environment

    return jinja_environment(Path(__file__).parent / "templates")


def render_page(template: str, *, status: int = 200, headers: dict | None = None, **context) -> Response:
    body = _environment().get_template(template).render(**context)
    return Response(body=body, status_code=status, headers={"Content-Type": HTML, **(headers or {})})


# Pages opened from a link that carries a token: the token must not leak through the
# Referer header to another site, nor sit in a shared cache. same-origin, not no-referrer:
# under no-referrer browsers post the page's form with "Origin: null", and the token
# routes accept only posts from our own pages.
TOKEN_PAGE_HEADERS = {"Referrer-Policy": "same-origin", "Cache-Control": "no-store"}
