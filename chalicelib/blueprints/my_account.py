"""The pages the policy names: My Account, Account Information, Email Preferences, and
Tell a Friend."""
from __future__ import annotations

from chalice import Blueprint, Response

from chalicelib import cookies
from chalicelib.http import form_fields, page_route
from chalicelib.pages import TOPIC_LABELS, render_page

my_account = Blueprint(__name__)


@page_route(my_account, "/my-account", ["GET"], signed_in=True)
def my_account_page(account, ports):
    return _my_account(account, ports)


def _my_account(account, ports, *, status: int = 200, problems: dict | None = None):
    from functions.notices import unseen_material_change
    from functions.orders import STATUS_WORDS, list_orders

    orders = list_orders(account, ports).orders
    return render_page("my_account.html", status=status, title="My Account", account=account, orders=orders,
                       status_words=STATUS_WORDS, policy_notice=unseen_material_change(account, ports),
                       problems=problems or {})


@page_route(my_account, "/my-account/policy-notice", ["POST"], forms=True, signed_in=True)
def policy_notice_seen(account, ports):
    """The customer read the changed policy: the account records the version (P25)."""
    from functions.notices import accept
    from shared.errors import InvalidInput

    version = form_fields(my_account.current_request).get("version", "")
    if not version.isdigit():
        raise InvalidInput("version: which policy version did you read?")
    accept(account, int(version), ports)
    return Response(body="", status_code=303, headers={"Location": "/my-account"})


@page_route(my_account, "/my-account/info", ["GET"], signed_in=True)
def account_info_page(account):
    return _account_info(account)


def _account_info(account, *, status: int = 200, message: str | None = None, problems: dict | None = None,
                  values: dict | None = None):
    shown = values if values is not None else {"name": account.name, "email": account.email}
    return render_page("account_info.html", status=status, title="Account Information", message=message,
                       problems=problems or {}, values=shown)


@page_route(my_account, "/my-account/info", ["POST"], forms=True, signed_in=True)
def account_info_update(account, ports):
    """A failed save keeps what the customer typed, and says in words what to fix."""
    from pydantic import ValidationError

    from chalicelib.forms import Field, email_field, kept, problems_of
    from functions.accounts import ProfileUpdate, update_profile

    fields = form_fields(my_account.current_request)
    words = {"name": Field("Your name", "Enter your name", "Enter your name in letters"), "email": email_field()}
    try:
        update = ProfileUpdate(name=fields.get("name") or None, email=fields.get("email", ""))
        result = update_profile(account, update, ports)
    except ValidationError as error:
        return _account_info(account, status=400, problems=problems_of(error, words, fields), values=kept(fields, words))
    message = "Saved."
    if result.email_change:
        message = "Saved. We sent a link to the new address; it takes effect once you use that link."
    return _account_info(account, message=message)


def _preferences_page(account, ports, message=None, status=200):
    from functions.accounts import preferences_of

    topics = preferences_of(account.account_id, ports).topics.model_dump()
    return render_page("email_preferences.html", status=status, title="Email Preferences", topics=topics,
                       labels=TOPIC_LABELS, message=message)


@page_route(my_account, "/my-account/email-preferences", ["GET"], signed_in=True)
def email_preferences_page(account, ports):
    return _preferences_page(account, ports)


@page_route(my_account, "/my-account/email-preferences", ["POST"], forms=True, signed_in=True)
def email_preferences_update(account, ports):
    from functions.accounts import PreferencesBody, set_preferences

    fields = form_fields(my_account.current_request)
    stop_all = fields.get("action") == "stop_all"
    topics = {topic: (not stop_all) and fields.get(topic) == "on" for topic in TOPIC_LABELS}
    set_preferences(account, PreferencesBody.model_validate({"topics": topics}), "preferences_page", ports)
    return _preferences_page(account, ports, message="Saved. This applies to every email we send from now on.")


@page_route(my_account, "/my-account/tell-a-friend", ["GET"], signed_in=True)
def tell_a_friend_page(account, ports):
    """The form posts to POST /referrals (its form variant)."""
    from chalicelib.blueprints.referrals import tell_a_friend_page as page

    return page(account, ports)


@page_route(my_account, "/my-account/deactivate", ["POST"], forms=True, signed_in=True)
def close_account(account, ports):
    from functions.accounts import deactivate as deactivate_account

    if form_fields(my_account.current_request).get("confirm") != "yes":
        return _my_account(account, ports, status=400,
                           problems={"confirm": "Tick the box to confirm that you want to close your account"})
    deactivate_account(account, ports)
    page = render_page("deactivated.html", title="Account closed")
    return Response(body=page.body, status_code=200,
                    headers={**page.headers, "Set-Cookie": cookies.session_cleared()})
