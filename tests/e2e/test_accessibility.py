"""An axe-core check of every page the store shows a customer, in Debian Chromium against one
local stage: no serious or critical violation of WCAG 2.0/2.1 A and AA or of axe's best
practices.

Each page is reached the way a customer reaches it (mail links from the local outbox, a
session from a sign-in link, the sandbox processor for the order page) and is checked in
the state the step that shows it leaves it in. axe-core comes bundled in
axe-playwright-python and is evaluated through the DevTools protocol, so nothing is fetched
from the network and the pages' CSP (script-src 'self') stays as it is.
Moderate and minor findings are printed, not failed: `pytest -rP` shows them."""
from __future__ import annotations

import functools
from typing import Callable

import pytest

from tests import conftest
from tests.e2e.test_browser import WELCOME, link
from tests.e2e.test_browser_accounts import signed_in_page
from tests.e2e.test_browser_referrals import BULK_MAIL_WAIT, INVITATION, tell_a_friend
from tests.e2e.test_browser_shop import add_to_cart, check_out, keep_pin_out_of_logs

TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "best-practice"]
FAILING_IMPACTS = {"serious", "critical"}


@functools.cache
def _axe():
    from axe_playwright_python.sync_playwright import Axe

    return Axe()


def axe_violations(page) -> list[dict]:
    options = {"runOnly": {"type": "tag", "values": TAGS}, "resultTypes": ["violations"]}
    return _axe().run(page, options=options).response["violations"]


def describe(violations: list[dict]) -> str:
    """One line a rule (id, impact, help), then one line an element it failed on."""
    lines = []
    for violation in violations:
        lines.append(f"- {violation['id']} ({violation['impact']}): {violation['help']} [{violation['helpUrl']}]")
        for node in violation["nodes"]:
            summary = " ".join(line.strip() for line in node.get("failureSummary", "").splitlines()[1:])
            lines.append(f"    {', '.join(map(str, node['target']))}: {summary}")
    return "\n".join(lines)


class Store:
    """The browser side of the module: a visitor without an account, and a customer signed in
    in a context of their own, each made on first use, with the mail their pages come from."""

    def __init__(self, local_stage, browser) -> None:
        self.stage, self.browser = local_stage, browser
        self.contexts: list = []

    def new_page(self):
        context = self.browser.new_context()
        self.contexts.append(context)
        return context.new_page()

    def close(self) -> None:
        for context in self.contexts:
            context.close()

    def visit(self, path: str):
        self.visitor.goto(self.stage.url(path))
        return self.visitor

    def signed_in(self, path: str):
        self.customer_page.goto(self.stage.url(path))
        return self.customer_page

    @functools.cached_property
    def visitor(self):
        return self.new_page()

    @functools.cached_property
    def customer(self) -> conftest.Person:
        return conftest.Person()

    @functools.cached_property
    def customer_page(self):
        page = self.new_page()
        signed_in_page(self.stage, page, self.customer)  # signs up first: the welcome mail
        return page

    def another_customer_page(self):
        """A customer of their own, for the steps that change an account for good."""
        page = self.new_page()
        signed_in_page(self.stage, page, conftest.Person())
        return page

    @functools.cached_property
    def welcome(self) -> dict:
        self.customer_page
        return self.stage.wait_for_mail(self.customer.email, WELCOME)

    @functools.cached_property
    def sign_in_mail(self) -> dict:
        self.customer_page
        self.stage.post_json("/login", {"email": self.customer.email})
        return self.stage.wait_for_mail(self.customer.email, "sign-in link")

    @functools.cached_property
    def friend(self) -> conftest.Person:
        """A friend the customer told about the store. An invitation is bulk mail, which the
        local stage's sweeper sends every 10 s: the module tells the friend first of all."""
        friend = conftest.Person("friend")
        tell_a_friend(self.stage, self.customer_page, friend.name, friend.email)
        return friend

    @functools.cached_property
    def forget_link(self) -> str:
        return link(self.stage.wait_for_mail(self.friend.email, INVITATION, timeout=BULK_MAIL_WAIT)["text"], "/friends/forget/")


@pytest.fixture(scope="module")
def store(local_stage, browser):
    store = Store(local_stage, browser)
    store.friend
    yield store
    store.close()


def marked_invalid(page, *fields: str) -> None:
    """The fields a failed post names are marked invalid and described by its message."""
    for field in fields:
        marked = page.locator(f"input[name={field}]")
        assert marked.get_attribute("aria-invalid") == "true", field
        for described_by in marked.get_attribute("aria-describedby").split():  # a hint, the problem
            assert page.locator(f"[id='{described_by}']").is_visible(), field


# A visit leaves a page showing what is to be checked.
Visit = Callable[[Store], object]


def anonymous(path: str) -> Visit:
    return lambda store: store.visit(path)


def signed_in(path: str) -> Visit:
    return lambda store: store.signed_in(path)


def posted(start: Visit, button: str, shows: str, fields: dict[str, str] | None = None, ticks: tuple[str, ...] = (),
           invalid: tuple[str, ...] = ()) -> Visit:
    """The page a form's post shows: `start`'s page, its fields filled in, its boxes `ticks`
    ticked and `button` pressed; the fields named `invalid` must be marked so."""
    def visit(store):
        page = start(store)
        for name, value in (fields or {}).items():
            page.fill(f"input[name={name}]", value)
        for name in ticks:
            page.check(f"input[name={name}]")
        page.click(button)
        page.wait_for_selector(shows)
        marked_invalid(page, *invalid)
        return page
    return visit


SIGN_UP, CHECK_YOUR_EMAIL = "#signup-form button[type=submit]", "h1:has-text('Check your email')"


def check_your_email(store):
    return posted(anonymous("/"), SIGN_UP, CHECK_YOUR_EMAIL, {"email": conftest.Person().email})(store)


def shop_with_a_cart(store):
    page = store.signed_in("/shop")
    add_to_cart(page, "MX-10")
    return page


def checkout_notice(store):
    page = shop_with_a_cart(store)
    check_out(page)
    return page


def processor_answered(store, button: str, status: str):
    """The order page the processor's page sends the customer back to, after `button`."""
    page = checkout_notice(store)
    page.click("#continue-to-processor")
    page.click(f"button[value={button}]")
    page.wait_for_selector(f"#status:has-text('{status}')")
    return page


def order_paid(store):
    page = processor_answered(store, "pay", "Paid")
    keep_pin_out_of_logs(page.inner_text("code.pin"))
    return page


def order_failed(store):
    return processor_answered(store, "fail", "Not paid: the payment failed")


def order_page(store):
    """The order page the PIN mail and My Account link to, reached from My Account's table."""
    order_paid(store)
    page = store.signed_in("/my-account")
    page.click("#orders a.order-code >> nth=0")
    page.wait_for_selector("h2:has-text('Receipt')")
    return page


def mail_link(mail: Callable[[Store], dict], prefix: str) -> Visit:
    def visit(store):
        store.visitor.goto(link(mail(store)["text"], prefix))
        return store.visitor
    return visit


def friend_forget(store):
    store.visitor.goto(store.forget_link)
    return store.visitor


def tell_a_friend_sent(store):
    friend = conftest.Person("friend")
    tell_a_friend(store.stage, store.customer_page, friend.name, friend.email)
    return store.customer_page


def address_change_link(store):
    page, new = store.another_customer_page(), conftest.Person()
    page.goto(store.stage.url("/my-account/info"))
    page.fill("input[name=email]", new.email)
    page.click("button:has-text('Save')")
    page.wait_for_selector("#message:has-text('Saved')")
    page.goto(link(store.stage.wait_for_mail(new.email, "Confirm your new address")["text"], "/login/"))
    return page


def seeded_form(title: str) -> Visit:
    """A seeded survey's or contest's form, opened from the list of what is open."""
    def visit(store):
        page = store.visit("/take-part")
        page.click(f"text={title}")
        page.wait_for_selector("#purpose")
        return page
    return visit


CONTEST, SURVEY = "Win a year of calls home", "How do you use your calling cards?"


def contest_refused(store):
    page = seeded_form(CONTEST)(store)
    page.click("button:has-text('Enter the contest')")
    page.wait_for_selector("#form-errors")
    for field in ("contact.email", "consent"):
        marked = page.locator(f"[name='{field}']")
        assert marked.get_attribute("aria-invalid") == "true", field
        assert page.locator(f"[id='{marked.get_attribute('aria-describedby')}']").is_visible(), field
    return page


def contest_entered(store):
    page, person = seeded_form(CONTEST)(store), conftest.Person()
    page.check("text=Gift cards")
    page.fill("[name='contact.email']", person.email)
    page.check("input[name=consent]")
    page.click("button:has-text('Enter the contest')")
    page.wait_for_selector("h1:has-text('Thank you')")
    return page


NOT_AN_ADDRESS = "someone@localhost"  # the browser lets it through; the store does not
SAVED = "#message:has-text('Saved')"
# A refused post: the error summary the account pages are moving to, or the message they had.
REFUSED = ".error-summary:has-text('email address'), #message:has-text('not a valid email address')"
ERROR_SUMMARY = ".error-summary:has-text('There is a problem')"
unsubscribe = mail_link(lambda store: store.welcome, "/unsubscribe/")

PAGES: dict[str, Visit] = {
    "home": anonymous("/"),
    "check-your-email": check_your_email,
    "home-signup-invalid": posted(anonymous("/"), SIGN_UP, ERROR_SUMMARY, {"email": NOT_AN_ADDRESS}, invalid=("email",)),
    "shop": anonymous("/shop"),
    "shop-with-a-cart": shop_with_a_cart,
    "checkout-notice": checkout_notice,
    "order-paid": order_paid,
    "order-failed": order_failed,
    "order-page": order_page,
    "rates": anonymous("/rates"),
    "rates-search": anonymous("/rates?destination=phil"),
    "rates-not-found": anonymous("/rates?destination=Atlantis"),
    "sign-in": anonymous("/login"),
    "sign-in-invalid": posted(anonymous("/login"), "#signin button[type=submit]", ERROR_SUMMARY,
                              {"email": NOT_AN_ADDRESS}, invalid=("email",)),
    "not-found": anonymous("/no/such/page"),
    "contact": anonymous("/contact"),
    "sign-in-required": anonymous("/my-account"),
    "privacy": anonymous("/privacy"),
    "sign-in-link": mail_link(lambda store: store.sign_in_mail, "/login/"),
    "unsubscribe": unsubscribe,
    "unsubscribed": posted(unsubscribe, "button[value=link]", "h1:has-text('You are unsubscribed')"),
    "friend-forget": friend_forget,
    "friend-forgotten": posted(friend_forget, "button:has-text('Forget my address')",
                               "h1:has-text('Your address is forgotten')"),
    "error-bad-token": anonymous("/login/no-such-token"),
    "my-account": signed_in("/my-account"),
    "account-info": signed_in("/my-account/info"),
    "account-info-saved": posted(signed_in("/my-account/info"), "button:has-text('Save')", SAVED),
    "account-info-invalid": posted(signed_in("/my-account/info"), "button:has-text('Save')", REFUSED,
                                   {"email": NOT_AN_ADDRESS}, invalid=("email",)),
    "email-preferences": signed_in("/my-account/email-preferences"),
    "email-preferences-saved": posted(signed_in("/my-account/email-preferences"), "button[value=save]", SAVED),
    "tell-a-friend": signed_in("/my-account/tell-a-friend"),
    "tell-a-friend-sent": tell_a_friend_sent,
    "tell-a-friend-invalid": posted(signed_in("/my-account/tell-a-friend"), "button:has-text('Send the invitation')",
                                    REFUSED, {"friend_name": "www.example", "friend_email": NOT_AN_ADDRESS},
                                    invalid=("friend_name", "friend_email")),
    "close-account-unconfirmed": posted(signed_in("/my-account"), "button:has-text('Close my account')",
                                        f"{ERROR_SUMMARY}, #message:has-text('Tick the box')",
                                        invalid=("confirm",)),
    "address-change-link": address_change_link,
    "address-changed": posted(address_change_link, "button:has-text('Continue')",
                              "h1:has-text('Your new address is confirmed')"),
    "take-part": anonymous("/take-part"),
    "survey-form": seeded_form(SURVEY),
    "contest-form": seeded_form(CONTEST),
    "contest-form-refused": contest_refused,
    "contest-thank-you": contest_entered,
    "account-closed": posted(lambda store: store.another_customer_page(), "button:has-text('Close my account')",
                             "h1:has-text('Your account is closed')", ticks=("confirm",)),
}


@pytest.mark.parametrize("visit", PAGES.values(), ids=PAGES.keys())
def test_no_serious_or_critical_accessibility_violations(store, visit):
    shown = visit(store)
    violations = axe_violations(shown)
    failing = [v for v in violations if v["impact"] in FAILING_IMPACTS]
    other = [v for v in violations if v["impact"] not in FAILING_IMPACTS]
    if other:
        print(f"{shown.url}: moderate or minor accessibility findings (not failing):\n{describe(other)}")
    assert not failing, f"{shown.url}: serious or critical accessibility violations:\n{describe(failing)}"
