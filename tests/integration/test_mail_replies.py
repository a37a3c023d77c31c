"""Mail the running store sends names no Reply-To, and its footer sends a reader who wants
to write to us to the contact page, which opens (P08, P12, P15)."""
from __future__ import annotations

from tests.integration.accounts_helpers import as_user, signed_in
from tests.integration.conftest import deliver, link_path, mail_to
from tests.integration.test_unsubscribe import promotional_job


def test_p08_p12_welcome_sign_in_campaign_and_invitation_carry_no_reply_to_and_link_the_contact_page(
        http, ports, make_person):
    customer, friend = make_person(), make_person("friend")
    account, cookie = signed_in(http, ports, customer)
    http.post_json("/login", {"email": customer.email})
    promotional_job(ports, account.account_id)
    http.post_json("/referrals", {"friend_name": "Pat", "friend_email": friend.email}, headers=as_user(cookie))
    deliver(ports)
    sent = mail_to(customer.email) + mail_to(friend.email)
    assert len(sent) >= 4  # welcome, sign-in link, campaign, invitation
    contact = f"{ports.settings.base_url}/contact"
    for mail in sent:
        assert not {name.lower() for name in mail["headers"]} & {"reply-to"}, mail["subject"]
        assert f"Replies to this email are not read: to reach us, use the contact page: {contact}" in mail["text"]
        assert f'<a href="{contact}">contact page</a>' in mail["html"]
    page = http.get(link_path(sent[0]["text"], "/contact"))
    assert page.status_code == 200 and b"<h1>Contact us</h1>" in page.body
