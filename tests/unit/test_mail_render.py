"""Every mail template renders in text and HTML, escapes what it is given, and shows the
unsubscribe link and postal address where one is due."""
from __future__ import annotations

import pytest

from shared.mail.render import SUBJECTS, render
from shared.mail.ses import OutgoingMail, build_mime

BASE = {"name": "<b>Ann</b>", "postal_address": "1 Main St", "login_url": "https://s.example/login/t",
        "contact_url": "https://s.example/contact",
        "preferences_url": "https://s.example/my-account/email-preferences"}
# A value for every template variable, so each template renders whole.
VALUES = {"promotions": True, "subject": "Hello", "body_text": "News", "order_id": "ord_1",
          "order_url": "https://s.example/my-account/orders/ord_1",
          "cards": [{"name": "Mexico 10", "pin": "123456", "pin_grouped": "1234 56", "dialing_instructions": "Dial",
                     "dialing_example": "dial 1-800-555-0100, enter the PIN, then 011 52 55 1234 5678 #"}],
          "receipt": {"code": "CCS-7K4M-2Q9P", "date": "2026-01-02", "subtotal": "10.00", "total": "10.00",
                      "taxes": "Prices include all taxes.", "currency": "USD", "paid_by": "Paid by card via Stripe",
                      "lines": [{"sku": "MX-10", "name": "Mexico 10", "quantity": 1, "unit_price": "10.00",
                                 "line_total": "10.00"}]},
          "your_cards": "your calling card", "these_pins": "this PIN",
          "referrer_first_name": BASE["name"], "forget_url": "https://s.example/friends/forget/f",
          "store_url": "https://s.example", "contest_title": BASE["name"], "prize": "A $20 card",
          "retention_days": 60, "confirm_url": "https://s.example/surveys/s/confirm-email/t", "link_hours": 72}
FOOTER = {"unsubscribe_url": "https://s.example/unsubscribe/u", "unsubscribe_reason": "Because."}


@pytest.mark.parametrize("template", sorted(SUBJECTS))
def test_every_template_renders_with_and_without_an_unsubscribe_footer(template):
    # Mail to an address with no account has no unsubscribe footer: an invitation carries its
    # own forget-me link, a winner's mail is the contest's only one.
    footers = ({},) if template in ("invitation", "contest_winner") else ({}, FOOTER)
    for context in ({**BASE, **VALUES, **footer} for footer in footers):
        subject, text, html = render(template, context)
        assert subject and "1 Main St" in text and "1 Main St" in html
        assert "<b>Ann</b>" not in html and "&lt;b&gt;Ann&lt;/b&gt;" in html
        assert ("https://s.example/unsubscribe/u" in text) is ("unsubscribe_url" in context)
        if template == "invitation":
            assert "https://s.example/friends/forget/f" in text and "https://s.example/friends/forget/f" in html


def test_p11_welcome_explains_every_kind_of_mail_and_how_to_stop_it():
    _, text, _ = render("welcome", {**BASE, **FOOTER, "promotions": False})
    for words in ("Order mail", "service notices", "Newsletter and offers", "Stop these emails"):
        assert words in text


def test_mime_carries_both_parts_and_the_given_headers():
    mail = OutgoingMail(to="a@example.org", subject="S", text="plain", html="<p>rich</p>",
                        headers={"List-Unsubscribe": "<https://x/u>", "List-Unsubscribe-Post": "List-Unsubscribe=One-Click"})
    raw = build_mime(mail, "Store <store@example.com>").decode()
    assert "List-Unsubscribe-Post: List-Unsubscribe=One-Click" in raw
    assert "text/plain" in raw and "text/html" in raw and "Message-ID: <" in raw


def test_mime_round_trips_non_ascii_text_and_subjects_and_refuses_a_header_with_a_line_break():
    from email import policy
    from email.parser import BytesParser

    mail = OutgoingMail(to="a@example.org", subject="Tarjetas para México ✓", text="¡Hola, Zoë!\n" + "é" * 200,
                        html="<p>¡Hola!</p>")
    parsed = BytesParser(policy=policy.default).parsebytes(build_mime(mail, "Store <store@example.com>"))
    assert str(parsed["Subject"]) == mail.subject
    assert parsed.get_body(preferencelist=("plain",)).get_content().rstrip("\n") == mail.text
    assert parsed.get_body(preferencelist=("html",)).get_content().rstrip("\n") == mail.html
    with pytest.raises(ValueError):
        build_mime(OutgoingMail(to="a@example.org", subject="Hi\r\nBcc: all@example.org", text="t", html="h"),
                   "Store <store@example.com>")


def test_a_long_list_unsubscribe_url_is_not_folded():
    url = "<https://store.example.com/unsubscribe/" + "x" * 150 + ">"
    mail = OutgoingMail(to="a@example.org", subject="S", text="t", html="h", headers={"List-Unsubscribe": url})
    assert f"List-Unsubscribe: {url}\n" in build_mime(mail, "Store <store@example.com>").decode()
