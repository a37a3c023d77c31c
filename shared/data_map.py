"""Who receives personal data from the store, and exactly what (P01, P13, P16, P18).

Third parties that receive personal data are our processors alone, each with the fields
it gets; every other disclosure is a legal disclosure an operator records with its basis.
Tests check the map against what the running store hands out: every outbound call to a
processor carries only its declared fields, and every route and operator function is
classified by who may see the personal data it returns.
"""
from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Processor:
    """A third party acting for us (an agent), under contract, for one purpose."""

    name: str
    purpose: str
    fields: frozenset[str]  # the port's fields it receives


PROCESSORS = {
    # shared.mail.ses.OutgoingMail: the recipient's address and the mail we wrote to them.
    "email_delivery": Processor("Amazon SES", "delivering the store's mail",
                                frozenset({"to", "subject", "text", "html", "headers", "kind"})),
    # shared.processor.CheckoutRequest (P19): billing information only.
    "card_processor": Processor("the card processor (Stripe)", "taking card payments on its own hosted page",
                                frozenset({"order_id", "amount_cents", "currency", "description", "customer_email"})),
}

# Who may see the personal data a route or operator function returns (P16: never sold,
# rented or leased). Every route and operator function is listed; a test fails on one that
# is not, so a new one must say who it answers to.
PUBLIC = "no personal data"
OWN = "the signed-in customer's own data"
LINK_HOLDER = "the holder of a link mailed to that address, about that address only"
OPERATOR = "an audited operator function"
SANDBOX = "the local stage only"
EXITS: dict[str, str] = {
    "/": PUBLIC, "/health": PUBLIC, "/openapi.json": PUBLIC, "/privacy": PUBLIC, "/privacy.json": PUBLIC,
    "/site.css": PUBLIC, "/site.js": PUBLIC, "/shop": PUBLIC, "/products": PUBLIC, "/rates": PUBLIC,
    "/cart": PUBLIC, "/cart/items": PUBLIC, "/cart/items/{sku}": PUBLIC, "/signup": PUBLIC, "/login": PUBLIC,
    "/contact": PUBLIC, "/friends/forget": PUBLIC, "/surveys": PUBLIC, "/surveys/{survey_id}": PUBLIC,
    "/surveys/{survey_id}/responses": PUBLIC, "/surveys/{survey_id}/form": PUBLIC, "/take-part": PUBLIC,
    "/processor/webhook": PUBLIC, "/notices/{notice_id}/hide": PUBLIC,
    "/login/{token}": LINK_HOLDER, "/unsubscribe/{token}": LINK_HOLDER, "/friends/forget/{token}": LINK_HOLDER,
    "/surveys/{survey_id}/confirm-email/{token}": LINK_HOLDER,
    "/logout": OWN, "/account": OWN, "/account/preferences": OWN, "/account/deactivate": OWN, "/account/export": OWN,
    "/account/orders": OWN, "/account/orders/{order_id}": OWN, "/account/orders/{order_id}/pay": OWN, "/referrals": OWN,
    "/my-account": OWN, "/my-account/info": OWN, "/my-account/email-preferences": OWN, "/my-account/deactivate": OWN,
    "/my-account/tell-a-friend": OWN, "/my-account/policy-notice": OWN, "/checkout": OWN, "/checkout/return": OWN, "/my-account/orders/{order_id}": OWN,
    "ops_*": OPERATOR,
}
