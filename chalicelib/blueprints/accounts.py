"""Signup and the confirm-and-sign-in links from our mail."""
from __future__ import annotations

from chalice import Blueprint

from chalicelib.http import json_route, page_route
from chalicelib.pages import TOKEN_PAGE_HEADERS, render_page

accounts = Blueprint(__name__)


@json_route(accounts, "/signup", "POST", summary="Sign up (same answer for new and known addresses)",
            request="functions.signup:SignupRequest", response="functions.signup:SignupAccepted", status=202)
def signup(body):
    from functions.signup import sign_up
    from shared.ports import default_ports

    return sign_up(body, default_ports())


@page_route(accounts, "/login/{token}", ["GET"])
def login_page(token):
    """Shows a button; never uses the token (mail scanners prefetch links)."""
    from functions import sign_in_links
    from shared.ports import default_ports

    login = sign_in_links.check(token, default_ports())
    confirming = login.purpose == "confirm"
    return render_page(
        "login.html",
        headers=TOKEN_PAGE_HEADERS,
        title="Confirm your address" if confirming else "Sign in",
        heading="Confirm your address" if confirming else "Sign in",
        explanation="Press Continue to confirm your email address." if confirming else "Press Continue to sign in.",
        token=token,
    )


@page_route(accounts, "/login/{token}", ["POST"], forms=True)
def login_use(token):
    from functions import sign_in_links
    from shared.ports import default_ports

    sign_in_links.use(token, default_ports())
    return render_page("confirmed.html", headers=TOKEN_PAGE_HEADERS, title="Address confirmed")
