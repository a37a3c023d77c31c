"""The store's cookies (P20, P21). None is linked to personal data:

- the session cookie: a random sign-in token, HttpOnly, Secure, SameSite=Lax, and no
  Expires/Max-Age, so it ends when the browser closes;
- the cart cookie: an opaque random cart id, unrelated to the session, same attributes.
- the display cookie, the only persistent one the policy allows: which home-page notices
  this browser chose to hide, as notice ids; nothing about a person.

`__Host-` names make the browser refuse them over plain HTTP or for another domain.
"""
from __future__ import annotations

import re
from http.cookies import CookieError, SimpleCookie

SESSION = "__Host-session"
CART = "__Host-cart"
DISPLAY = "__Host-display"
DISPLAY_MAX_AGE = 365 * 24 * 3600
_NOTICE_ID = re.compile(r"^[A-Za-z0-9_-]{1,64}$")
_MAX_HIDDEN = 20
_BROWSER_SESSION = "Path=/; Secure; HttpOnly; SameSite=Lax"


def read(request, name: str) -> str | None:
    header = request.headers.get("cookie")
    if not header:
        return None
    jar = SimpleCookie()
    try:
        jar.load(header)
    except CookieError:
        return None
    morsel = jar.get(name)
    return morsel.value if morsel else None


def session(token: str) -> str:
    return f"{SESSION}={token}; {_BROWSER_SESSION}"


def session_cleared() -> str:
    return f"{SESSION}=; {_BROWSER_SESSION}; Max-Age=0"



def cart(cart_id: str) -> str:
    return f"{CART}={cart_id}; {_BROWSER_SESSION}"


def hidden_notices(request) -> frozenset[str]:
    """The notice ids this browser hid; anything else in the cookie is ignored."""
    value = read(request, DISPLAY) or ""
    return frozenset(n for n in value.split(".") if _NOTICE_ID.match(n))


def display(hidden: frozenset[str]) -> str:
    """Persistent by design (P21): a display choice, kept across browser restarts."""
    value = ".".join(sorted(hidden)[-_MAX_HIDDEN:])
    return f"{DISPLAY}={value}; Path=/; Secure; HttpOnly; SameSite=Lax; Max-Age={DISPLAY_MAX_AGE}"


def valid_notice_id(notice_id: str) -> bool:
    return bool(_NOTICE_ID.match(notice_id))
