"""The one place the adversary model calls each use case.

The model (world.py, test_adversary_model.py) never imports a use case itself: every rule
goes through one function here, called with the world's ports, as the HTTP edge
(chalicelib/blueprints) calls the use case. When a use case's signature or meaning changes,
its adapter is the one thing to change.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Mapping


if TYPE_CHECKING:
    from functions.sign_in_links import UsedLink
    from shared.ports import Ports
    from shared.store.accounts import Account


@dataclass(frozen=True)
class Choice:
    """What the holder of a confirm link chooses on the confirm page before Continue (drawn
    by hypothesis): an optional name and each promotional topic on or off."""

    name: str | None
    topics: Mapping[str, bool]


@dataclass(frozen=True)
class SignupRecord:
    """A signup that created an account: who typed it, the name and the promotions box."""

    actor: str
    name: str
    promotions: bool


@dataclass(frozen=True)
class Applied:
    """What a confirm link's Continue applied to the account, and whose choice that was."""

    name: str | None
    topics: Mapping[str, bool]
    chosen_by: str


# -- signup and sign-in links --------------------------------------------------------------
def sign_up(ports: Ports, address: str, name: str, promotions: bool) -> Any:
    """POST /signup."""
    from functions.signup import SignupRequest, sign_up as use_case

    return use_case(SignupRequest(email=address, name=name, promotions=promotions), ports)


def request_sign_in(ports: Ports, address: str) -> Any:
    """POST /login."""
    from functions.sign_in_links import SignInRequest, request_sign_in as use_case

    return use_case(SignInRequest(email=address), ports)


def use_login_link(ports: Ports, token: str, choice: Choice, session_token: str | None) -> UsedLink:
    """POST /login/{token}: the Continue button of a confirm, sign-in or address-change page.
    `choice` is what the person chose on a confirm page; `session_token` is the session
    cookie the browser sends along (None when it has none): an address change keeps it."""
    from functions.sign_in_links import ConfirmChoice, use
    from shared.ids import token_hash

    return use(token, ports, choice=ConfirmChoice(name=choice.name, topics=dict(choice.topics)),
               session=token_hash(session_token) if session_token else None)


def confirm_applied(choice: Choice, pressed_by: str, signup: SignupRecord | None) -> Applied | None:
    """What the Continue of a confirm link that activated a pending account applied, and
    whose choice it was (the consent invariant credits `chosen_by` with the topics turned
    on): the name and topics chosen on the page, by whoever pressed Continue. The signup's
    name and promotions are applied by no link."""
    return Applied(choice.name, dict(choice.topics), pressed_by)


def peek_login_link(ports: Ports, token: str) -> Any:
    """GET /login/{token}: the page reads the link (its account and purpose), using nothing."""
    from functions.one_time_links import peek

    return peek(token, ports)


def start_session(ports: Ports, account_id: str, previous: str | None) -> str:
    """The rest of POST /login/{token} for a link that starts a session: a new session
    cookie, the browser's previous session ended."""
    from functions import sessions

    return sessions.start(account_id, ports, replacing=previous)


def signed_in_account(ports: Ports, session_token: str | None) -> Account:
    """What every signed-in route does first (NotSignedIn: 401)."""
    from functions import sessions

    return sessions.account_for(session_token, ports)


# -- My Account ----------------------------------------------------------------------------
def view_account(ports: Ports, account: Account) -> Any:
    """GET /account."""
    from functions.accounts import view

    return view(account, ports)


def update_profile(ports: Ports, account: Account, email: str | None, name: str | None) -> Any:
    """PATCH /account {email?, name?}."""
    from functions.accounts import ProfileUpdate, update_profile as use_case

    return use_case(account, ProfileUpdate(email=email, name=name), ports)


def set_preferences(ports: Ports, account: Account, topics: Mapping[str, bool]) -> Any:
    """PUT /account/preferences."""
    from functions.accounts import PreferencesBody, set_preferences as use_case

    return use_case(account, PreferencesBody.model_validate({"topics": dict(topics)}), "preferences_api", ports)


def deactivate(ports: Ports, account: Account) -> Any:
    """POST /account/deactivate (the route also clears the cookie)."""
    from functions.accounts import deactivate as use_case

    return use_case(account, ports)


# -- unsubscribing -------------------------------------------------------------------------
def unsubscribe_page(ports: Ports, token: str, everything: bool) -> Any:
    """POST /unsubscribe/{token} from the page's form (`everything`: its "stop all")."""
    from functions.unsubscribe import unsubscribe

    return unsubscribe(token, "unsubscribe_page", ports, everything=everything)


def one_click(ports: Ports, token: str) -> Any:
    """The mail provider's RFC 8058 one-click post to a List-Unsubscribe URL."""
    from functions.unsubscribe import unsubscribe

    return unsubscribe(token, "one_click", ports)


def read_unsubscribe_link(ports: Ports, token: str) -> Any:
    """Which account and topics an unsubscribe link names (the model's own look, no request)."""
    from functions.unsubscribe import read_link

    return read_link(token, ports)


def contact_unsubscribe(ports: Ports, address: str) -> Any:
    """POST /contact {email, topic: unsubscribe}."""
    from functions.contact import ContactRequest, contact

    return contact(ContactRequest(email=address, topic="unsubscribe", message=""), ports)


# -- the shop ------------------------------------------------------------------------------
def add_to_cart(ports: Ports, cart_id: str | None, sku: str, quantity: int) -> tuple[str, Any]:
    """POST /cart/items: the cart id (the cart cookie) and the cart."""
    from functions.cart import CartItemBody, add_item

    return add_item(cart_id, CartItemBody(sku=sku, quantity=quantity), ports)


def checkout_cart(ports: Ports, account: Account, cart_id: str | None, idempotency_key: str) -> Any:
    """POST /checkout with an empty body (the cart) and an Idempotency-Key, as the route
    does it: the cart's items, kept until the order is paid."""
    from functions import cart
    from functions.checkout import start_checkout

    return start_checkout(account, None, cart.read(cart_id, ports), idempotency_key, ports)


# -- operators and the mail sender ---------------------------------------------------------
def send_campaign(ports: Ports, topic: str, subject: str, text: str) -> Any:
    """ops_send_campaign."""
    from functions.campaigns import CampaignInput, send_campaign as use_case

    return use_case(CampaignInput.model_validate({"topic": topic, "subject": subject, "text": text}), ports)


def deliver_mail(ports: Ports) -> Any:
    """The sweeper: send every due mail job now."""
    from functions.mail_handlers import MAIL_HANDLERS
    from functions.mail_outbox import sweep

    return sweep(ports, MAIL_HANDLERS)


# -- Tell-A-Friend -------------------------------------------------------------------------
def refer(ports: Ports, account: Account, friend_name: str, friend_email: str) -> Any:
    """POST /referrals."""
    from functions.referrals import ReferralRequest, refer as use_case

    return use_case(account, ReferralRequest(friend_name=friend_name, friend_email=friend_email), ports)


def forget_friend(ports: Ports, address: str) -> Any:
    """POST /friends/forget."""
    from functions.referrals import ForgetRequest, forget_request

    return forget_request(ForgetRequest(email=address), ports)


# -- contests ------------------------------------------------------------------------------
def open_contest(ports: Ports) -> str:
    """ops_create_survey: a contest open for a year, asking the prize details on confirmation."""
    from datetime import datetime, timedelta, timezone

    from functions.surveys import SurveyDefinition, create_survey

    now = datetime.fromtimestamp(ports.clock.now(), timezone.utc)
    body = {"title": "Win a card", "kind": "contest", "purpose": "To send the prize.", "retention_days": 30,
            "questions": [{"id": "destination", "text": "Where do you call?", "type": "text"}],
            "contact_fields": ["name", "email", "shipping_address", "zip"],
            "opens_at": now - timedelta(hours=1), "closes_at": now + timedelta(days=365)}
    return str(create_survey(SurveyDefinition.model_validate(body), ports)["survey_id"])


def enter_contest(ports: Ports, survey_id: str, address: str) -> Any:
    """POST /surveys/{survey_id}/responses for a contest."""
    from functions.surveys import SubmissionRequest, submit

    return submit(survey_id, SubmissionRequest.model_validate(
        {"answers": {"destination": "Mexico"}, "email": address, "consent": True}), ports)


def confirm_contest_entry(ports: Ports, survey_id: str, token: str, name: str) -> str:
    """POST /surveys/{survey_id}/confirm-email/{token}: the entry id (the draw ticket)."""
    from functions.surveys import confirm_entry

    return confirm_entry(survey_id, token, {"name": name, "shipping_address": "1 Main Street, Springfield",
                                            "zip": "97201"}, ports)


def draw_contest(ports: Ports, survey_id: str) -> Any:
    """The schedule that commits a closed contest, then ops_draw_contest with every entry a winner."""
    from functions.contests import DrawInput, commit_closed_contests, draw

    commit_closed_contests(ports)
    return draw(DrawInput(survey_id=survey_id, winners=99), ports)


def contest_closes_at(ports: Ports, survey_id: str) -> float:
    """When the contest stops taking entries (the model's own look at its definition)."""
    from datetime import datetime

    contest = ports.surveys.get(survey_id)
    assert contest is not None
    return datetime.fromisoformat(contest.closes_at.replace("Z", "+00:00")).timestamp()


def referral_report(ports: Ports) -> Any:
    """ops_referral_report."""
    from functions.referrals import report

    return report(None, ports)


def referrer_joined(ports: Ports, account_id: str) -> int:
    """The conversions counted for a referrer, whether or not a report shows them (the model's own look)."""
    from shared.store.friends import FriendRepository

    return sum(c.joined for c in FriendRepository(ports.table).all_counts() if c.referrer_id == account_id)


def referrals_of(ports: Ports, account: Account) -> Any:
    """GET /referrals."""
    from functions.referrals import referrals_of as use_case

    return use_case(account, ports)


def friend_address_held(ports: Ports, address_or_mailbox: str) -> bool:
    """Whether the store holds a friend's address for this mailbox (the model's own look)."""
    from shared.ids import mailbox_key
    from shared.store.friends import FriendRepository

    key = mailbox_key(address_or_mailbox, ports.settings.hash_key())
    return FriendRepository(ports.table).address(key, ports.clock.now()) is not None
