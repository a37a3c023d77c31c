"""No mail of any kind carries a Reply-To, and every mail's footer says that replies are not
read and links the contact page instead (shared/mail/ses.py). A reply to an invitation or a
contest mail would put a friend's or an entrant's data in a mailbox outside the store's
retention (P08, P15); the contact page is where a request is kept and answered (P12)."""
from __future__ import annotations

from email import policy
from email.parser import BytesParser

import pytest

from functions.mail_compose import one_click, rendered
from shared.mail.render import SUBJECTS
from shared.mail.ses import OutgoingMail, SesMailer, build_mime
from shared.models import MailKind
from tests.fakes import fake_ports
from tests.unit.test_mail_render import BASE, FOOTER, VALUES

# The kind each template is sent as; the rest are transactional.
KINDS = {"invitation": MailKind.invitation, "contest_winner": MailKind.contest, "campaign": MailKind.promotional,
         "contest_confirmation": MailKind.contest_confirmation, "service": MailKind.service}
NOT_READ = "Replies to this email are not read"


def test_the_templates_cover_every_kind_of_mail():
    assert {*KINDS.values(), MailKind.transactional} == set(MailKind)
    assert set(KINDS) <= set(SUBJECTS)


@pytest.mark.parametrize("template", sorted(SUBJECTS))
def test_p08_p15_no_mail_of_any_kind_carries_a_reply_to_and_its_footer_links_the_contact_page(template):
    ports = fake_ports()
    kind = KINDS.get(template, MailKind.transactional).value
    footer = {} if template in ("invitation", "contest_winner") else FOOTER
    headers = one_click(FOOTER["unsubscribe_url"]) if footer else {}
    mail = rendered(template, {**BASE, **VALUES, **footer}, "reader@example.org", kind, ports, headers)
    contact = f"{ports.settings.base_url}/contact"  # the stage's page, whatever the context said
    assert f"{NOT_READ}: to reach us, use the contact page: {contact}" in mail.text
    assert NOT_READ in mail.html and f'<a href="{contact}">contact page</a>' in mail.html
    parsed = BytesParser(policy=policy.default).parsebytes(build_mime(mail, "Store <store@example.com>"))
    assert "Reply-To" not in parsed and parsed["From"] == "Store <store@example.com>"


@pytest.mark.parametrize("name", ["Reply-To", "reply-to", "REPLY-TO "])
def test_a_mail_with_a_reply_to_can_be_neither_made_nor_built(name):
    with pytest.raises(ValueError, match="replies are not read"):
        OutgoingMail(to="a@example.org", subject="S", text="t", html="<p>h</p>", headers={name: "b@example.org"})
    mail = OutgoingMail(to="a@example.org", subject="S", text="t", html="<p>h</p>")
    mail.headers[name] = "b@example.org"
    with pytest.raises(ValueError, match="replies are not read"):
        build_mime(mail, "store@example.com")


def test_ses_is_asked_for_no_reply_to_address():
    class Sesv2:
        def __init__(self) -> None:
            self.calls: list[dict] = []

        def send_email(self, **call):
            self.calls.append(call)
            return {"MessageId": "m-1"}

    sesv2 = Sesv2()
    SesMailer("store@example.com", "cs", sesv2).send(
        OutgoingMail(to="a@example.org", subject="S", text="t", html="<p>h</p>", kind="invitation"))
    (call,) = sesv2.calls
    assert "ReplyToAddresses" not in call
    assert b"Reply-To" not in call["Content"]["Raw"]["Data"]
