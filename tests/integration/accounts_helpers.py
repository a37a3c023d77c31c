"""Getting a test customer signed in through the real links."""
from __future__ import annotations

from tests.integration.conftest import deliver, link_path, mail_to
from tests.integration.test_signup import account_of, sign_up


def session_cookie(response) -> str:
    """The Cookie header a browser would send back after this response."""
    set_cookie = response.headers["Set-Cookie"]
    return set_cookie.split(";", 1)[0]


def confirm_page_form(person, promotions: bool) -> str:
    """What the confirm page posts when its reader gives their name and ticks every topic
    (promotions) or none (P02: consent comes from this page, not from the signup)."""
    from urllib.parse import urlencode

    return urlencode({"name": person.name, **({"newsletter": "on", "promotions": "on"} if promotions else {})})


def signed_in(http, ports, person, promotions=True):
    """Sign up, use the welcome link (confirms and signs in, with every topic ticked on its
    page when `promotions`); returns (account, cookie)."""
    sign_up(http, person, promotions=promotions)
    deliver(ports)
    used = http.post_form(link_path(mail_to(person.email)[-1]["text"], "/login/"), confirm_page_form(person, promotions))
    assert used.status_code == 303
    return account_of(ports, person.email), session_cookie(used)


def as_user(cookie: str, **headers) -> dict:
    return {"Cookie": cookie, **headers}
