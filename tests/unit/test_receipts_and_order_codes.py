"""Receipts (P10), short order codes, PIN grouping and what a card gives, on the fake ports."""
from __future__ import annotations

import re

import pytest

from functions import checkout as checkout_module
from functions.catalog import list_products, rate_table, search_rates
from functions.checkout import CheckoutBody, start_checkout
from functions.orders import calling_cards, group_digits, pin_mail_subject, receipt, tel_href, these_pins
from shared.catalog import destinations, products
from shared.errors import Conflict, InvalidInput, NotFound
from shared.mail.render import render
from shared.order_codes import ATTEMPTS, SHAPE, order_code
from shared.store.accounts import Account
from shared.store.commerce import Order
from shared.store.table import Put
from tests.fakes import fake_ports

ACCOUNT = Account("acc_1", "ann@example.org", "hash", "Ann", "active", "2027-01-01", 1)


# -- order codes -------------------------------------------------------------------------

def test_an_order_code_is_crockford_base32_of_the_order_id_in_two_groups() -> None:
    code = order_code("ord_0123456789abcdef01234567")
    assert SHAPE.match(code) and re.fullmatch(r"CCS-[0-9A-HJKMNP-TV-Z]{4}-[0-9A-HJKMNP-TV-Z]{4}", code)
    assert not set(code[4:]) & set("ILOU")  # Crockford leaves out the letters read as digits
    assert order_code("ord_0123456789abcdef01234567") == code  # derived, not counted
    assert order_code("ord_0123456789abcdef01234567", 1) != code


def test_order_codes_of_many_orders_differ() -> None:
    codes = {order_code(f"ord_{i:024x}") for i in range(5000)}
    assert len(codes) == 5000


def test_checkout_writes_the_code_with_a_conditional_put_and_retries_a_taken_one(monkeypatch) -> None:
    ports = fake_ports()
    taken = "CCS-0000-0000"
    ports.table.put(Put({"pk": f"ORDERCODE#{taken}", "sk": "ORDERCODE", "type": "order_code", "order_id": "ord_other"}))
    real = checkout_module.order_code
    monkeypatch.setattr(checkout_module, "order_code", lambda oid, attempt: taken if attempt == 0 else real(oid, attempt))
    started = start_checkout(ACCOUNT, CheckoutBody(sku="MX-10", quantity=1), {}, "idem-key-0001", ports)
    order = ports.commerce.order(started.order_id)
    assert order is not None and order.code == real(started.order_id, 1)
    assert ports.table.get({"pk": f"ORDERCODE#{order.code}", "sk": "ORDERCODE"})["order_id"] == order.order_id
    assert ports.table.get({"pk": f"ORDERCODE#{taken}", "sk": "ORDERCODE"})["order_id"] == "ord_other"


def test_checkout_gives_up_with_a_conflict_when_every_code_it_tries_is_taken(monkeypatch) -> None:
    ports = fake_ports()
    taken = "CCS-0000-0000"
    ports.table.put(Put({"pk": f"ORDERCODE#{taken}", "sk": "ORDERCODE", "type": "order_code", "order_id": "ord_other"}))
    tries = []
    monkeypatch.setattr(checkout_module, "order_code", lambda oid, attempt: tries.append(attempt) or taken)
    with pytest.raises(Conflict):
        start_checkout(ACCOUNT, CheckoutBody(sku="MX-10", quantity=1), {}, "idem-key-0001", ports)
    assert tries == list(range(ATTEMPTS)) and ports.commerce.orders_of(ACCOUNT.account_id) == []


# -- receipts ----------------------------------------------------------------------------

def _order(status: str = "paid") -> Order:
    lines = [{"sku": "MX-10", "quantity": 2, "unit_price_cents": 1000}, {"sku": "PH-20", "quantity": 1, "unit_price_cents": 2000}]
    return Order(order_id="ord_0123456789abcdef01234567", account_id="acc_1", lines=lines, amount_cents=4000,
                 currency="USD", description="2 x Mexico 10, 1 x Philippines 20", status=status,
                 created_at="2026-12-06T02:00:00Z", code="CCS-7K4M-2Q9P")


def test_p10_the_receipt_adds_up_its_lines_states_taxes_and_names_the_processor() -> None:
    shown = receipt(_order(), "Stripe")
    assert [(line.quantity, line.unit_price, line.line_total) for line in shown.lines] == [(2, "10.00", "20.00"), (1, "20.00", "20.00")]
    assert shown.subtotal == "40.00" == shown.total and shown.currency == "USD"
    assert shown.taxes == "Prices include all taxes." and shown.date == "2026-12-06" and shown.code == "CCS-7K4M-2Q9P"
    assert shown.paid_by == "Paid by card via Stripe"
    assert receipt(_order("pending"), "Stripe").paid_by is None


def test_an_order_from_before_codes_shows_its_derived_code() -> None:
    from dataclasses import replace

    assert receipt(replace(_order(), code=None), "Stripe").code == order_code("ord_0123456789abcdef01234567")


def test_the_words_agree_in_number_with_the_cards() -> None:
    assert (calling_cards(1), these_pins(1)) == ("your calling card", "this PIN")
    assert (calling_cards(3), these_pins(3)) == ("your 3 calling cards", "these PINs")


@pytest.mark.parametrize("count", [1, 3])
def test_p10_the_pin_mail_carries_the_receipt_and_agrees_in_number(count: int) -> None:
    cards = [{"name": "Mexico 10", "pin": f"12345678901{i}", "pin_grouped": group_digits(f"12345678901{i}"),
              "dialing_instructions": "Dial 1-800-555-0100", "dialing_example": "dial 1-800-555-0100, enter the PIN"}
             for i in range(count)]
    context = {"name": "Ann", "postal_address": "1 Main St", "preferences_url": "https://s.example/p",
               "contact_url": "https://s.example/contact",
               "cards": cards, "receipt": receipt(_order(), "Stripe").model_dump(),
               "your_cards": calling_cards(count), "these_pins": these_pins(count),
               "subject": pin_mail_subject(count),
               "order_url": "https://s.example/my-account/orders/ord_0123456789abcdef01234567"}
    subject, text, html = render("pin", context)
    assert subject == ("Your calling card: PIN and dialing instructions" if count == 1
                       else "Your 3 calling cards: PINs and dialing instructions")
    for body in (text, html):
        assert "CCS-7K4M-2Q9P" in body and "Paid by card via Stripe" in body and "40.00 USD" in body
        assert "Prices include all taxes." in body and "/my-account/orders/ord_0123456789abcdef01234567" in body
        if count == 1:
            assert "Here is your calling card" in body and "this PIN" in body and "these PINs" not in body
        else:
            assert "Here are your 3 calling cards" in body and "these PINs" in body and "this PIN" not in body
    assert text.count("PIN: 1234 5678 901") == count


def test_p10_a_pin_is_shown_in_groups_of_four_and_an_access_number_as_a_tel_link() -> None:
    assert group_digits("123456789012") == "1234 5678 9012"
    assert group_digits("1234567890") == "1234 5678 90"
    assert tel_href("1-800-555-0100") == "tel:+18005550100"


# -- what a card gives -------------------------------------------------------------------

def test_every_product_states_rates_minutes_fees_expiry_access_numbers_and_an_example() -> None:
    listed = {p.sku: p for p in list_products(fake_ports())}
    assert set(listed) == set(products()) and len({p.destination for p in listed.values()}) >= 5
    mexico = listed["MX-10"]
    assert (mexico.rates.landline_per_minute, mexico.rates.mobile_per_minute) == ("0.019", "0.049")
    assert (mexico.minutes.landline, mexico.minutes.mobile) == (526, 204)  # 10 / 0.019 and 10 / 0.049, rounded down
    assert (mexico.fees.connection, mexico.fees.maintenance) == ("0.00", "0.00")
    assert mexico.expiry_days == 90
    assert mexico.dialing_example == "dial 1-800-555-0100, enter the PIN, then 011 52 55 1234 5678 #"
    assert any(n.toll_free and n.from_country == "US" for n in mexico.access_numbers)
    assert any(n.city and not n.toll_free for n in mexico.access_numbers)


def test_the_rate_table_answers_one_destination_by_code_and_refuses_a_bad_one() -> None:
    assert [r.destination for r in rate_table(None)] == list(destinations())
    [mexico] = rate_table("mx")
    assert (mexico.destination, mexico.country_name, mexico.currency) == ("MX", "Mexico", "USD")
    with pytest.raises(InvalidInput):
        rate_table("Mexico!")
    with pytest.raises(NotFound):
        rate_table("FR")
    assert [r.destination for r in search_rates("phil")] == ["PH"] and search_rates("atlantis") == []
