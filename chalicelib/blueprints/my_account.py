"""The pages the policy names: My Account, Account Information, Email Preferences, and
Tell a Friend."""
from __future__ import annotations

from chalice import Blueprint, Response

from chalicelib import cookies
from chalicelib.http import describe_validation, form_fields, page_route, problems_by_field
from chalicelib.pages import TOPIC_LABELS, render_page

my_account = Blueprint(__name__)


def _fields_named(message: str, fields: tuple[str, ...]) -> list[str]:
    """The form's fields a problem message names: the page marks them invalid and ties them
    to the message."""
    named = problems_by_field(message)
    return [field for field in fields if field in named]


@page_route(my_account, "/my-account", ["GET"], signed_in=True)
def my_account_page(account, ports):
    from functions.notices import unseen_material_change
    from functions.orders import STATUS_WORDS, list_orders

    orders = list_orders(account, ports).orders
    return render_page("my_account.html", title="My Account", account=account, orders=orders, status_words=STATUS_WORDS,
                       policy_notice=unseen_material_change(account, ports))


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
    return render_page("account_info.html", title="Account Information", account=account, message=None)


@page_route(my_account, "/my-account/info", ["POST"], forms=True, signed_in=True)
def account_info_update(account, ports):
    from pydantic import ValidationError

    from functions.accounts import ProfileUpdate, update_profile

    fields = form_fields(my_account.current_request)
    try:
        update = ProfileUpdate(name=fields.get("name") or None, email=fields.get("email") or None)
        result = update_profile(account, update, ports)
    except ValidationError as error:
        message = describe_validation(error)
        return render_page("account_info.html", status=400, title="Account Information", account=account,
                           message=message, invalid=_fields_named(message, ("name", "email")))
    message = "Saved."
    if result.email_change:
        message = "Saved. We sent a link to the new address; it takes effect once you use that link."
    return render_page("account_info.html", title="Account Information", account=account, message=message)


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


def _tell_a_friend_page(account, ports, message=None, status=200):
    from functions.referrals import referrals_of

    invalid = _fields_named(message, ("friend_name", "friend_email")) if status == 400 else None
    return render_page("tell_a_friend.html", status=status, title="Tell a Friend", message=message,
                       invalid=invalid, referrals=referrals_of(account, ports).referrals)


@page_route(my_account, "/my-account/tell-a-friend", ["GET"], signed_in=True)
def tell_a_friend_page(account, ports):
    return _tell_a_friend_page(account, ports)


@page_route(my_account, "/my-account/tell-a-friend", ["POST"], forms=True, signed_in=True)
def tell_a_friend(account, ports):
    from pydantic import ValidationError

    from functions.referrals import ReferralRequest, refer
    from shared.errors import InvalidInput

    fields = form_fields(my_account.current_request)
    try:
        refer(account, ReferralRequest(friend_name=fields.get("friend_name", ""),
                                       friend_email=fields.get("friend_email", "")), ports)
    except ValidationError as error:
        return _tell_a_friend_page(account, ports, message=describe_validation(error), status=400)
    except InvalidInput as error:
        return _tell_a_friend_page(account, ports, message=error.message, status=400)
    return _tell_a_friend_page(account, ports, message="Thank you. We will let your friend know about the store.")


@page_route(my_account, "/my-account/deactivate", ["POST"], forms=True, signed_in=True)
def close_account(account, ports):
    from functions.accounts import deactivate as deactivate_account

    if form_fields(my_account.current_request).get("confirm") != "yes":
        return render_page("my_account.html", status=400, title="My Account", account=account, orders=[],
                           status_words={}, message="Tick the box to confirm that you want to close your account.")
    deactivate_account(account, ports)
    page = render_page("deactivated.html", title="Account closed")
    return Response(body=page.body, status_code=200,
                    headers={**page.headers, "Set-Cookie": cookies.session_cleared()})
