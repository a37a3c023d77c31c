"""One hourly cap on mail to an address that has not proven itself: confirm and sign-in
links, "signup again", address-change links and invitations count against the same number
for the address, whichever door asked, and past it nothing more goes out, silently."""
from __future__ import annotations

from functions import email_change
from functions.mail_handlers import MAIL_HANDLERS
from functions.mail_outbox import sweep
from functions.one_time_links import UNPROVEN_MAILS_PER_HOUR
from functions.referrals import ReferralRequest, refer
from functions.signup import SignupRequest, sign_up
from shared.mail.render import SUBJECTS
from tests.fakes import RecordingMailer, fake_ports
from tests.unit.people import subscriber

VICTIM = "victim@example.net"


def test_every_kind_of_unproven_mail_shares_the_addresss_hourly_cap():
    mailer = RecordingMailer()
    ports = fake_ports(mailer=mailer)
    customer, friendly = subscriber(ports, 1), subscriber(ports, 2)
    for _ in range(2):
        refer(customer, ReferralRequest(friend_name="Vic", friend_email=VICTIM), ports)  # one invitation, ever
        email_change.request_change(customer, VICTIM, ports)
        email_change.request_change(friendly, VICTIM, ports)
    sweep(ports, MAIL_HANDLERS)  # the invitation goes while the address has no account
    sign_up(SignupRequest(email=VICTIM, name="Vic", promotions=False), ports)  # over the cap: not even a welcome
    sweep(ports, MAIL_HANDLERS)
    to_victim = [m for m in mailer.sent if m.to == VICTIM]
    assert len(to_victim) == UNPROVEN_MAILS_PER_HOUR
    assert [m.kind for m in to_victim].count("invitation") == 1
    ports.clock.sleep(3600)
    sign_up(SignupRequest(email=VICTIM, name="Vic", promotions=False), ports)
    sweep(ports, MAIL_HANDLERS)
    newest = [m for m in mailer.sent if m.to == VICTIM][UNPROVEN_MAILS_PER_HOUR:]
    assert [m.subject for m in newest] == [SUBJECTS["welcome"]]  # a new hour
