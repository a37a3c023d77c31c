"""Paying again in Debian Chromium (P10, P17, P20): the card is declined, the customer tries
again, leaves the processor's page with Back, finds their cart, tries once more and pays.
One order, one charge, one PIN mail; the store never needed a refund."""
from __future__ import annotations

from tests.e2e.test_browser_accounts import signed_in_page
from tests.e2e.test_browser_shop import PIN_MAIL, add_to_cart, check_out, keep_pin_out_of_logs


def _on_the_processors_page(page, button: str, status: str) -> None:
    page.click("#continue-to-processor")
    page.wait_for_selector("h1:has-text('Pay 10.00 USD')")
    page.click(f"button[value={button}]")
    page.wait_for_selector(f"#status:has-text('{status}')")


def test_p10_p17_a_declined_card_then_back_then_paid_is_one_charge_and_one_pin_mail(local_stage, page, person):
    signed_in_page(local_stage, page, person)
    page.goto(local_stage.url("/shop"))
    add_to_cart(page, "MX-10")
    assert "outside payment service" in check_out(page)

    _on_the_processors_page(page, "fail", "Not paid: the payment failed")
    page.click("#try-again")
    page.wait_for_selector("h1:has-text('Leaving for the payment page')")
    assert "outside payment service" in page.inner_text("#notice-text")  # P17: the same notice each attempt

    _on_the_processors_page(page, "cancel", "Not paid")  # Back from the processor's page
    page.click("header nav a:has-text('Cart')")
    page.wait_for_selector("table.cart #line-MX-10")  # the cart is still there
    page.go_back()
    page.click("#try-again")
    page.wait_for_selector("h1:has-text('Leaving for the payment page')")
    _on_the_processors_page(page, "pay", "Paid")
    keep_pin_out_of_logs(page.inner_text("code.pin"))

    local_stage.wait_for_mail(person.email, PIN_MAIL)
    pin_mails = [m for m in local_stage.outbox() if person.email in m["to"] and "PIN" in m["subject"]]
    assert len(pin_mails) == 1
    assert local_stage.ops("ops_payment_exceptions", {})["exceptions"] == []
    page.click("header nav a:has-text('Cart')")
    page.wait_for_selector("#cart-empty")  # paid: the cart is emptied
