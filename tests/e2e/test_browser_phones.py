"""Every page a customer can reach, on a phone (390 px wide, as an iPhone 12 to 15): nothing
scrolls sideways, every button, field and header link is at least 44 px high (a check box
counts by its label, which is what a finger presses), and text in a field is at least 16 px
(iOS zooms into a field with smaller text). Each page is reached as in the accessibility
check, in a browser whose window is a phone's; a few are also kept as screenshots."""
from __future__ import annotations

import pytest

from tests.e2e.screens import PHONE, page_width, phone_problems, shoot_both
from tests.e2e.test_accessibility import PAGES, Store, Visit, anonymous


class Phone(Store):
    """The accessibility check's visitor and customer, each in a phone-sized window."""

    def new_page(self):
        context = self.browser.new_context(viewport=PHONE)
        self.contexts.append(context)
        return context.new_page()


ON_A_PHONE = ["home", "shop-with-a-cart", "rates", "rates-mexico", "sign-in", "check-your-email", "privacy",
              "take-part", "survey-form", "contest-form-refused", "contact", "sign-in-link", "account-info", "account-info-invalid", "email-preferences", "tell-a-friend", "tell-a-friend-invalid",
              "order-page", "order-failed", "my-account", "checkout-notice", "unsubscribe", "not-found", "home-signup-invalid",
              "sign-in-invalid"]
VISITS: dict[str, Visit] = {**PAGES, "rates-mexico": anonymous("/rates?destination=MX")}
SCREENSHOTS = {"rates": "rates", "order-failed": "order-failed"}  # the purchase test shoots the rest


@pytest.fixture(scope="module")
def phone(local_stage, browser):
    store = Phone(local_stage, browser)
    yield store
    store.close()


@pytest.mark.parametrize("name", ON_A_PHONE)
def test_every_page_fits_a_phone(phone, name):
    shown = VISITS[name](phone)
    assert shown.viewport_size == PHONE and shown.locator("header nav").count() == 1, f"{shown.url}: no store page"
    problems = phone_problems(shown)
    print(f"{name}: {page_width(shown)} px wide at {PHONE['width']} px")
    if name in SCREENSHOTS:
        shoot_both(shown, SCREENSHOTS[name])
    assert not problems, f"{shown.url} on a phone:\n" + "\n".join(problems)
