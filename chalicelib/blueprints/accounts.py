"""Signup, sign-in links, sessions and the My Account JSON API (P04, P11, P28)."""
from __future__ import annotations

from chalice import Blueprint, Response

from chalicelib import cookies
from chalicelib.http import JSON, form_fields, json_route, page_route
from chalicelib.pages import TOKEN_PAGE_HEADERS, TOPIC_LABELS, render_page

accounts = Blueprint(__name__)


def _email_problems(fields: dict[str, str], model: str) -> tuple[object, dict[str, str]]:
    """The form's address as the JSON body's model, or what to tell the customer."""
    from pydantic import ValidationError

    from chalicelib.forms import email_field, problems_of
    from chalicelib.http import model_named

    try:
        return model_named(model)(email=fields.get("email", "")), {}
    except ValidationError as error:
        return None, problems_of(error, {"email": email_field()}, fields)


def signup_form(fields, ports):
    """The home page's form without JavaScript: the same use case and answer as the JSON post."""
    from chalicelib.forms import kept
    from functions.signup import sign_up

    body, problems = _email_problems(fields, "functions.signup:SignupRequest")
    if problems:
        from functions.home import home_for

        return render_page("home.html", status=400, title="Calling cards", notices=[], home=home_for(None),
                           problems=problems, values=kept(fields, ["email"]), headers={"Cache-Control": "private"})
    sign_up(body, ports)
    return render_page("check_your_email.html", title="Check your email", signing_up=True)


@json_route(accounts, "/signup", "POST", summary="Sign up (same answer for new and known addresses)",
            request="functions.signup:SignupRequest", response="functions.one_time_links:CheckYourEmail", status=202,
            form=signup_form)
def signup(body, ports):
    from functions.signup import sign_up

    return sign_up(body, ports)


def login_request_form(fields, ports):
    """The sign-in form without JavaScript; the page it started on is stored with the link."""
    from chalicelib import return_paths
    from chalicelib.forms import kept
    from functions.sign_in_links import request_sign_in

    return_to = return_paths.safe(fields.get("return_to"))
    body, problems = _email_problems(fields, "functions.sign_in_links:SignInRequest")
    if problems:
        return render_page("sign_in.html", status=400, title="Sign in", message=None, problems=problems,
                           values=kept(fields, ["email"]), return_to=return_to)
    request_sign_in(body, ports, return_to=return_to)
    return render_page("check_your_email.html", title="Check your email", signing_up=False)


@json_route(accounts, "/login", "POST", summary="Ask for a sign-in link (same answer for every address)",
            request="functions.sign_in_links:SignInRequest", response="functions.one_time_links:CheckYourEmail",
            status=202, form=login_request_form)
def login(body, ports):
    from functions.sign_in_links import request_sign_in

    return request_sign_in(body, ports)


@page_route(accounts, "/login", ["GET"])
def login_form():
    """?return_to= names the page to come back to (kept only if it is one of ours)."""
    from chalicelib import return_paths

    return_to = return_paths.safe((accounts.current_request.query_params or {}).get("return_to"))
    return render_page("sign_in.html", title="Sign in", message=None, problems={}, values={}, return_to=return_to)


@page_route(accounts, "/login/{token}", ["GET"])
def login_page(token, ports):
    """Shows a button; never uses the token (mail scanners prefetch links)."""
    from functions.one_time_links import peek

    purpose = peek(token, ports).purpose
    heading, explanation = {
        "confirm": ("Confirm your address", "Press Continue to confirm your email address and sign in."),
        "email_change": ("Confirm your new address", "Press Continue to start using this address for your account."),
    }.get(purpose, ("Sign in", "Press Continue to sign in."))
    return render_page("login.html", headers=TOKEN_PAGE_HEADERS, title=heading, heading=heading,
                       explanation=explanation, token=token, choose=purpose == "confirm", labels=TOPIC_LABELS)


@page_route(accounts, "/login/{token}", ["POST"], forms=True)
def login_use(token, ports):
    """Uses the link. A sign-in or confirm link starts a fresh session (the browser's old one
    ends) and goes to My Account; an address-change link only confirms the address."""
    from functions import sessions, sign_in_links
    from shared.ids import token_hash

    previous = cookies.read(accounts.current_request, cookies.SESSION)
    used = sign_in_links.use(token, ports, choice=_confirm_choice(form_fields(accounts.current_request)),
                             session=token_hash(previous) if previous else None)
    if not used.starts_session:
        return render_page("email_changed.html", headers=TOKEN_PAGE_HEADERS, title="Address confirmed")
    session_token = sessions.start(used.account.account_id, ports, replacing=previous)
    from chalicelib.return_paths import safe

    return Response(body="", status_code=303, headers={
        "Location": safe(used.return_to) or "/my-account", "Set-Cookie": cookies.session(session_token),
        **TOKEN_PAGE_HEADERS})


def _confirm_choice(fields: dict[str, str]):
    """The confirm page's name and ticked topics (a box that is not ticked is not sent)."""
    from pydantic import ValidationError

    from functions.sign_in_links import ConfirmChoice
    from shared.errors import InvalidInput

    try:
        return ConfirmChoice(name=fields.get("name") or None, topics={t: t in fields for t in TOPIC_LABELS})
    except ValidationError:
        raise InvalidInput("Your name can be at most 100 characters.", code="validation_error") from None


@json_route(accounts, "/logout", "POST", summary="End the session (a form post goes on to the home page)",
            cookies=(cookies.SESSION,), answers=(303,))
def logout(ports):
    from functions import sessions

    request = accounts.current_request
    sessions.end(cookies.read(request, cookies.SESSION), ports)
    if request.headers.get("content-type", JSON).startswith(JSON):
        return Response(body={"status": "signed_out"}, headers={"Set-Cookie": cookies.session_cleared()})
    return Response(body="", status_code=303, headers={"Location": "/", "Set-Cookie": cookies.session_cleared()})


@json_route(accounts, "/account", "GET", summary="The signed-in account", response="functions.accounts:AccountView",
            signed_in=True)
def account_view(account, ports):
    from functions.accounts import view

    return view(account, ports)


@json_route(accounts, "/account", "PATCH", summary="Change name and/or email (a new email needs its link)",
            request="functions.accounts:ProfileUpdate", response="functions.accounts:ProfileUpdated", signed_in=True,
            answers=(404,))
def account_update(account, body, ports):
    from functions.accounts import update_profile

    return update_profile(account, body, ports)


@json_route(accounts, "/account/preferences", "GET", summary="Promotional topics",
            response="functions.accounts:PreferencesBody", signed_in=True)
def preferences_view(account, ports):
    from functions.accounts import preferences_of

    return preferences_of(account.account_id, ports)


@json_route(accounts, "/account/preferences", "PUT", summary="Switch promotional topics on or off",
            request="functions.accounts:PreferencesBody", response="functions.accounts:PreferencesBody",
            signed_in=True, answers=(404,))
def preferences_update(account, body, ports):
    from functions.accounts import set_preferences

    return set_preferences(account, body, "preferences_api", ports)


@json_route(accounts, "/account/deactivate", "POST", summary="Deactivate the account (ends every session)",
            signed_in=True, answers=(404,))
def account_deactivate(account, ports):
    from functions.accounts import deactivate as deactivate_account

    deactivate_account(account, ports)
    return Response(body={"status": "deactivated"}, headers={"Set-Cookie": cookies.session_cleared()})


@json_route(accounts, "/account/export", "GET", summary="Everything held about the caller", signed_in=True)
def account_export(account, ports):
    from functions.accounts import export as export_account

    return export_account(account, ports)
