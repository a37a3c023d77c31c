"""Tell-A-Friend (P06-P09): referrals by signed-in customers, and the friend's forget-me
link and form."""
from __future__ import annotations

from chalice import Blueprint

from chalicelib.http import json_route, page_route
from chalicelib.pages import TOKEN_PAGE_HEADERS, render_page

referrals = Blueprint(__name__)


FRIEND_FIELDS = ("friend_name", "friend_email")


def tell_a_friend_page(account, ports, *, status: int = 200, message: str | None = None,
                       problems: dict | None = None, values: dict | None = None):
    from functions.referrals import referrals_of

    return render_page("tell_a_friend.html", status=status, title="Tell a Friend", message=message,
                       problems=problems or {}, values=values or {}, referrals=referrals_of(account, ports).referrals)


def refer_form(fields, ports, account):
    """Tell a Friend's form without JavaScript: the same use case and the same calls as the
    JSON post; the page says the same whatever happens to the invitation (P06)."""
    from pydantic import ValidationError

    from chalicelib.forms import Field, email_field, kept, problems_of
    from functions.referrals import OWN_ADDRESS, ReferralRequest, refer as handle
    from shared.errors import InvalidInput

    words = {"friend_name": Field("Your friend's name", "Enter your friend's name",
                                  "Enter your friend's name only, without web or email addresses"),
             "friend_email": email_field("Your friend's email address", "Enter your friend's email address")}
    try:
        handle(account, ReferralRequest(**kept(fields, FRIEND_FIELDS)), ports)
    except ValidationError as error:
        problems = problems_of(error, words, fields)
    except InvalidInput as error:
        if error.code != OWN_ADDRESS:
            raise
        problems = {"friend_email": "That is your own address: enter your friend's email address"}
    else:
        return tell_a_friend_page(account, ports, message="Thank you. We will let your friend know about the store.")
    return tell_a_friend_page(account, ports, status=400, problems=problems, values=kept(fields, FRIEND_FIELDS))


@json_route(referrals, "/referrals", "POST", summary="Tell a friend (same answer whatever happens to it)",
            request="functions.referrals:ReferralRequest", response="functions.referrals:ReferralAccepted",
            status=202, signed_in=True, form=refer_form)
def refer(body, account, ports):
    from functions.referrals import refer as handle

    return handle(account, body, ports)


@json_route(referrals, "/referrals", "GET", summary="The caller's own referrals",
            response="functions.referrals:ReferralList", signed_in=True)
def my_referrals(account, ports):
    from functions.referrals import referrals_of

    return referrals_of(account, ports)


@json_route(referrals, "/friends/forget", "POST", summary="Forget a friend's address (same answer for any address)",
            request="functions.referrals:ForgetRequest", response="functions.referrals:ForgetAccepted", status=202)
def forget(body, ports):
    from functions.referrals import forget_request

    return forget_request(body, ports)


@page_route(referrals, "/friends/forget/{token}", ["GET"])
def forget_page(token, ports):
    """The invitation's forget-me link: a page with a button; a GET deletes nothing."""
    from functions.referrals import read_forget_link

    read_forget_link(token, ports)
    return render_page("friend_forget.html", headers=TOKEN_PAGE_HEADERS, title="Forget my address", token=token)


@page_route(referrals, "/friends/forget/{token}", ["POST"], forms=True)
def forget_post(token, ports):
    """The page's button, or the mail provider's RFC 8058 one-click post: deleted at once."""
    from functions.referrals import forget_by_link

    forget_by_link(token, ports)
    return render_page("friend_forgotten.html", headers=TOKEN_PAGE_HEADERS, title="Your address is forgotten")
