"""Buying a calling card in Debian Chromium against a real local stage (P10, P17): sign in,
add to cart, check out, read the notice, pay on the sandbox processor's page, land on the
return page, and find the PIN mail in /dev/outbox."""
from __future__ import annotations

from tests import conftest
from tests.e2e.test_browser_accounts import signed_in_page

PIN_MAIL = "Your calling card: PIN and dialing instructions"


def test_p17_buy_a_card_from_cart_to_pin_mail(local_stage, page, person):
    signed_in_page(local_stage, page, person)
    page.goto(local_stage.url("/shop"))
    page.click("[data-add-to-cart='MX-10']")
    page.wait_for_selector("#cart:has-text('1 × Mexico 10')")
    page.click("#checkout")
    page.wait_for_selector("#checkout-notice:not([hidden])")
    notice = page.inner_text("#notice-text")
    assert "Sandbox Card Processor" in notice and "outside payment service" in notice
    page.click("#continue-to-processor")
    page.wait_for_selector("h1:has-text('Pay 10.00 USD')")
    assert "/dev/processor/pay/" in page.url
    page.click("button[value=pay]")
    page.wait_for_selector("#status:has-text('Paid')")
    pin = page.inner_text("code.pin")  # grouped for reading: the log audit looks for both forms
    conftest.PERSONAL_DATA.update({pin, pin.replace(" ", "")})
    mail = local_stage.wait_for_mail(person.email, PIN_MAIL)
    assert f"PIN: {pin}" in mail["text"]
