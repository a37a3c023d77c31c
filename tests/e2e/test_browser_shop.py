"""Buying a calling card in Debian Chromium against a real local stage (P10, P17), as a new
customer does it from the home page: sign up, confirm the address from the mail, sign in,
add a card to the cart, check out, read the notice, pay on the sandbox processor's page,
land on the return page, and find the PIN mail in /dev/outbox. Every step is a plain form
post or link: on a phone with JavaScript off it works the same as on a desktop with it on."""
from __future__ import annotations

import pytest

from tests import conftest
from tests.e2e.screens import DESKTOP, PHONE, assert_fits_a_phone, shoot, show_mail
from tests.e2e.test_browser import WELCOME, link

PIN_MAIL = "Your calling card: PIN and dialing instructions"
SIGN_IN_MAIL = "sign-in link"


def add_to_cart(page, sku: str) -> None:
    """The card's Add to cart button on the shop page; the shop comes back showing the cart."""
    page.click(f"form.add button[aria-describedby='card-{sku}']")
    page.wait_for_selector("#cart-message:has-text('Added to your cart')")
    assert page.locator(f"table.cart #line-{sku}").count() == 1


def check_out(page) -> str:
    """Check out from the shop's cart: the notice page that names the processor; its text."""
    page.click("#checkout-form button[type=submit]")
    page.wait_for_selector("h1:has-text('Leaving for the payment page')")
    return page.inner_text("#notice-text")


def keep_pin_out_of_logs(pin: str) -> None:
    conftest.PERSONAL_DATA.update({pin, pin.replace(" ", "")})  # grouped for reading: the log audit looks for both


@pytest.mark.parametrize("javascript, window", [(False, PHONE), (True, DESKTOP)],
                         ids=["phone-without-javascript", "desktop-with-javascript"])
def test_p10_p17_buy_a_card_from_the_home_page_to_the_pin_mail(local_stage, browser, make_person, javascript, window):
    person = make_person()
    context = browser.new_context(java_script_enabled=javascript, viewport=window)
    page = context.new_page()
    on_a_phone = window == PHONE

    def step(shows: str, screenshot: str | None = None) -> None:
        page.wait_for_selector(shows)
        if on_a_phone:
            assert_fits_a_phone(page)
        if screenshot:
            shoot(page, screenshot)

    try:
        page.goto(local_stage.url("/"))
        step("h1:has-text('Calling cards')", "home")
        page.fill("#signup-form input[name=email]", person.email)
        page.click("#signup-form button[type=submit]")
        step("h1:has-text('Check your email')")

        page.goto(link(local_stage.wait_for_mail(person.email, WELCOME)["text"], "/login/"))
        step("h1")
        page.fill("input[name=name]", person.name)
        page.click("button:has-text('Continue')")
        step("h1:has-text('My Account')")
        page.click("header nav button:has-text('Sign out')")
        step("header nav a:has-text('Sign in')")

        page.click("header nav a:has-text('Sign in')")
        step("h1:has-text('Sign in')")
        page.fill("#signin input[name=email]", person.email)
        page.click("#signin button[type=submit]")
        step("h1:has-text('Check your email')")
        page.goto(link(local_stage.wait_for_mail(person.email, SIGN_IN_MAIL)["text"], "/login/"))
        page.click("button:has-text('Continue')")
        step("header nav a:has-text('My Account')")

        page.click("header nav a:has-text('Shop')")
        step("h1:has-text('Calling cards')")
        add_to_cart(page, "MX-10")
        assert "Cart (1)" in page.inner_text("header nav")
        step("table.cart", "shop")
        notice = check_out(page)
        assert "Sandbox Card Processor" in notice and "outside payment service" in notice  # P17
        step("#continue-to-processor")
        page.click("#continue-to-processor")
        page.wait_for_selector("h1:has-text('Pay 10.00 USD')")
        assert "/dev/processor/pay/" in page.url
        page.click("button[value=pay]")
        step("#status:has-text('Paid')", "order-paid")
        pin = page.inner_text("code.pin")
        keep_pin_out_of_logs(pin)

        mail = local_stage.wait_for_mail(person.email, PIN_MAIL)  # P10
        assert f"PIN: {pin}" in mail["text"]
        show_mail(page, mail, "pin-mail")
    finally:
        context.close()
