"""The store's cookies (P20, P21). None is linked to personal data:

- the session cookie: a random sign-in token, HttpOnly, Secure, SameSite=Lax, and no
  Expires/Max-Age, so it ends when the browser closes;
- the cart cookie: an opaque random cart id, unrelated to the session, same attributes.
A persistent cookie for display choices is the only other kind the policy allows.

`__Host-` names make the browser refuse them over plain HTTP or for another domain.
"""
from __future__ import annotations

from http.cookies import CookieError, SimpleCookie

SESSION = "__Host-session"
CART = "__Host-cart"
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
