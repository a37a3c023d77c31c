"""Tell-A-Friend (P06-P09): referrals by signed-in customers, and the friend's forget-me
link and form."""
from __future__ import annotations

from chalice import Blueprint

from chalicelib.http import json_route, page_route
from chalicelib.pages import TOKEN_PAGE_HEADERS, render_page

referrals = Blueprint(__name__)


@json_route(referrals, "/referrals", "POST", summary="Tell a friend (same answer whatever happens to it)",
            request="functions.referrals:ReferralRequest", response="functions.referrals:ReferralAccepted",
            status=202, signed_in=True)
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
