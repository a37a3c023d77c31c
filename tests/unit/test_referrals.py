"""Tell-A-Friend on the fake ports (P06-P09): one invitation per address ever, nothing else
reaching a friend, friend data that serves only the program and goes when asked, on
joining, or after its retention."""
from __future__ import annotations

import threading

import pytest

from functions import mail_outbox, referrals
from functions.mail_handlers import MAIL_HANDLERS
from functions.one_time_links import mint
from functions.referrals import ReferralRequest, refer
from functions.sign_in_links import use
from functions.signup import SignupRequest, sign_up
from shared.clock import FixedClock
from shared.errors import InvalidInput
from shared.ids import address_hash, mailbox_key, new_id
from shared.models import MailKind
from shared.store.mail import MailJob
from tests.fakes import RecordingMailer, fake_ports
from tests.unit.people import EVERY_TOPIC, subscriber

FRIEND = "pat.friend@example.net"
DAY = 24 * 3600


def invite(ports, referrer, address=FRIEND, name="Pat Example"):
    return refer(referrer, ReferralRequest(friend_name=name, friend_email=address), ports)


def deliver(ports, mailer, address=FRIEND):
    mail_outbox.sweep(ports, MAIL_HANDLERS)
    return [m for m in mailer.sent if m.to == address]


def referrals_listed(ports, referrer):
    return referrals.referrals_of(referrer, ports).referrals


def friend_hash(ports, address=FRIEND):
    """The friend's mailbox key: what friend data, the forget marker and the cap go by."""
    return mailbox_key(address, ports.settings.hash_key())


def exact_hash(ports, address=FRIEND):
    """The address's exact hash: what accounts and suppressions go by."""
    return address_hash(address, ports.settings.hash_key())


def test_p06_a_referral_sends_the_friend_one_invitation_naming_the_referrers_first_name_only(ports, mailer):
    referrer = subscriber(ports, 1)
    assert invite(ports, referrer, name="Pat Secretname").status == "accepted"
    [mail] = deliver(ports, mailer)
    assert mail.kind == MailKind.invitation
    assert "Reader" in mail.subject and "Reader" in mail.text  # the referrer's first name
    assert "Secretname" not in mail.text + mail.html + mail.subject  # the friend's name is never mailed
    assert "will not write to you again" in mail.text and ports.settings.postal_address in mail.text
    forget_url = mail.headers["List-Unsubscribe"].strip("<>")
    assert forget_url.startswith(f"{ports.settings.base_url}/friends/forget/") and forget_url in mail.text
    assert mail.headers["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"


def test_p06_the_invitation_job_holds_no_address_and_the_sender_resolves_it(ports):
    invite(ports, subscriber(ports, 1))
    [job] = [j for j in ports.outbox.jobs(ports.outbox.unsent_job_ids()).values() if j.kind == MailKind.invitation]
    assert job.account_id is None and job.to_address is None and FRIEND not in str(job)


def test_p06_one_invitation_per_address_ever_whoever_refers_it(ports, mailer):
    first, second = subscriber(ports, 1), subscriber(ports, 2)
    invite(ports, first)
    invite(ports, second, address=FRIEND.upper())
    invite(ports, first)
    assert len(deliver(ports, mailer)) == 1
    # both referrers see their referral listed the same way
    for referrer in (first, second):
        [listed] = [r for r in referrals_listed(ports, referrer)][:1]
        assert (listed.status, listed.friend) == ("invited", "A friend")


def test_p06_two_referrers_inviting_the_same_friend_at_once_send_one_mail(ports, mailer):
    first, second = subscriber(ports, 1), subscriber(ports, 2)
    start = threading.Barrier(2)

    def refer_now(referrer):
        start.wait()
        invite(ports, referrer)

    threads = [threading.Thread(target=refer_now, args=(r,)) for r in (first, second)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(deliver(ports, mailer)) == 1
    assert len(referrals_listed(ports, first)) == len(referrals_listed(ports, second)) == 1


@pytest.mark.parametrize("state", ["customer", "suppressed", "forgotten"])
def test_p06_never_invites_a_customer_a_suppressed_or_a_forgotten_address_and_answers_the_same(ports, mailer, state):
    referrer = subscriber(ports, 1)
    if state == "customer":
        sign_up(SignupRequest(email=FRIEND, name="Pat", promotions=False), ports)
    elif state == "suppressed":
        ports.outbox.suppress(exact_hash(ports), "complaint", ports.clock.iso())
    else:
        referrals.forget(FRIEND, ports)
    mail_outbox.sweep(ports, MAIL_HANDLERS)
    mailer.sent.clear()
    assert invite(ports, referrer).status == "accepted"
    assert deliver(ports, mailer) == []
    [listed] = referrals_listed(ports, referrer)
    assert (listed.status, listed.friend) == ("invited", "A friend")  # lists like a sent one


@pytest.mark.parametrize("kind", [k.value for k in MailKind if k != MailKind.invitation])
def test_p07_no_other_kind_of_mail_reaches_a_friend(ports, mailer, kind):
    invite(ports, subscriber(ports, 1))
    deliver(ports, mailer)
    job = MailJob(new_id(), kind, "service", ports.clock.iso(), to_address=FRIEND,
                  context={"subject": "Hello", "body_text": "Hi", "friend_hash": friend_hash(ports)})
    ports.outbox.put_job(job)
    mail_outbox.sweep(ports, MAIL_HANDLERS)
    assert len([m for m in mailer.sent if m.to == FRIEND]) == 1  # the invitation only
    assert ports.outbox.job(job.job_id).status == "skipped"


def test_p07_campaign_audiences_never_include_a_friend(ports, mailer):
    from functions.campaigns import CampaignInput, send_campaign

    invite(ports, subscriber(ports, 1))
    deliver(ports, mailer)
    send_campaign(CampaignInput(topic="newsletter", subject="News", text="Hello"), ports)
    mail_outbox.sweep(ports, MAIL_HANDLERS)
    assert [m.kind for m in mailer.sent if m.to == FRIEND] == [MailKind.invitation]


def test_p07_a_friend_who_registers_then_gets_normal_customer_mail(ports, mailer):
    referrer = subscriber(ports, 1)
    invite(ports, referrer)
    deliver(ports, mailer)
    sign_up(SignupRequest(email=FRIEND, name="Pat", promotions=True), ports)
    account_id = ports.accounts.account_id_for(exact_hash(ports))
    use(mint(account_id, "confirm", ports).rsplit("/", 1)[1], ports, choice=EVERY_TOPIC)
    from functions.campaigns import CampaignInput, send_campaign

    send_campaign(CampaignInput(topic="newsletter", subject="News", text="Hello"), ports)
    kinds = [m.kind for m in deliver(ports, mailer)]
    assert kinds.count(MailKind.promotional) == 1
    [listed] = referrals_listed(ports, referrer)
    assert listed.status == "joined" and listed.friend == "A friend"


def test_p08_conversion_drops_the_friends_address_and_name_and_is_counted(ports, mailer):
    from shared.store.friends import FriendRepository

    referrer = subscriber(ports, 1)
    invite(ports, referrer)
    sign_up(SignupRequest(email=FRIEND, name="Pat", promotions=False), ports)
    use(mint(ports.accounts.account_id_for(exact_hash(ports)), "confirm", ports).rsplit("/", 1)[1], ports)
    friends = FriendRepository(ports.table)
    assert friends.address(friend_hash(ports), ports.clock.now()) is None
    assert friends.invitation(friend_hash(ports)).status == "joined"
    assert referrals.report(None, ports)["referrers"] == [
        {"referrer_id": referrer.account_id, "referrals": 1, "invitations": 1, "joined": 1}]
    mail_outbox.sweep(ports, MAIL_HANDLERS)
    assert [m.kind for m in mailer.sent if m.to == FRIEND] == [MailKind.transactional]  # its welcome, no invitation


def test_p08_a_referral_that_sent_nothing_never_turns_joined(ports):
    first, second = subscriber(ports, 1), subscriber(ports, 2)
    invite(ports, first)
    invite(ports, second)
    sign_up(SignupRequest(email=FRIEND, name="Pat", promotions=False), ports)
    use(mint(ports.accounts.account_id_for(exact_hash(ports)), "confirm", ports).rsplit("/", 1)[1], ports)
    assert [r.status for r in referrals_listed(ports, first)] == ["joined"]
    assert [r.status for r in referrals_listed(ports, second)] == ["invited"]


def test_p08_the_report_names_no_friend_and_reads_no_friend_record(ports):
    referrer = subscriber(ports, 1)
    invite(ports, referrer)
    table = ports.table
    read = []
    original_get, original_query = table.get, table.query
    table.get = lambda key, *a, **k: (read.append(key["pk"]), original_get(key, *a, **k))[1]
    table.query = lambda partition, **k: (read.append(partition), original_query(partition, **k))[1]
    result = referrals.report(None, ports)
    assert FRIEND not in str(result) and "Pat" not in str(result)
    assert not [p for p in read if p.startswith("REFERRAL#")]


def test_p28_a_deactivated_referrer_is_absent_from_the_report(ports):
    from functions.accounts import deactivate

    stays, leaves = subscriber(ports, 1), subscriber(ports, 2)
    invite(ports, stays)
    invite(ports, leaves, address="sam.friend@example.net")
    assert deactivate(leaves, ports)
    assert [r["referrer_id"] for r in referrals.report(None, ports)["referrers"]] == [stays.account_id]


def test_p28_a_friend_who_joins_gives_a_deactivated_referrer_no_conversion(ports, mailer):
    """The referrer's records stay as they were when the account closed; the friend's
    address goes all the same (P08: friend data is deleted when the friend joins)."""
    from functions.accounts import deactivate
    from shared.store.friends import FriendRepository

    referrer = subscriber(ports, 1)
    invite(ports, referrer)
    deliver(ports, mailer)
    assert deactivate(referrer, ports)
    sign_up(SignupRequest(email=FRIEND, name="Pat", promotions=False), ports)
    use(mint(ports.accounts.account_id_for(exact_hash(ports)), "confirm", ports).rsplit("/", 1)[1], ports)
    friends = FriendRepository(ports.table)
    [counts] = [c for c in friends.all_counts() if c.referrer_id == referrer.account_id]
    assert (counts.referrals, counts.invitations, counts.joined) == (1, 1, 0)
    assert [r.status for r in friends.referrals_by(referrer.account_id)] == ["invited"]
    assert friends.address(friend_hash(ports), ports.clock.now()) is None


def test_p09_forgetting_deletes_the_name_and_address_at_once_and_the_address_is_never_invited_again(ports, mailer):
    from shared.store.friends import FriendRepository

    referrer = subscriber(ports, 1)
    invite(ports, referrer)
    referrals.forget(FRIEND, ports)
    assert deliver(ports, mailer) == []  # the pending invitation is cancelled
    friends = FriendRepository(ports.table)
    assert friends.address(friend_hash(ports), ports.clock.now()) is None
    [listed] = referrals_listed(ports, referrer)
    assert listed.friend == "A friend" and listed.status == "invited"
    assert [i for i in ports.table.all_items() if FRIEND in str(i) or "Pat Example" in str(i)] == []
    again = subscriber(ports, 2)
    invite(ports, again)  # a forgotten friend invited again: no mail, and no address or name kept
    assert deliver(ports, mailer) == []
    assert [i for i in ports.table.all_items() if FRIEND in str(i) or "Pat Example" in str(i)] == []
    assert [r.friend for r in referrals_listed(ports, again)] == ["A friend"]


def test_p09_forgetting_an_unknown_address_is_answered_the_same_and_keeps_only_a_hash(ports):
    referrals.forget("never.heard.of@example.net", ports)
    assert ports.outbox.is_forgotten(friend_hash(ports, "never.heard.of@example.net"))


def test_p09_the_forget_link_forgets_and_a_tampered_or_foreign_one_is_refused(ports, mailer):
    from shared import tokens
    from shared.errors import InvalidToken

    invite(ports, subscriber(ports, 1))
    [mail] = deliver(ports, mailer)
    token = mail.headers["List-Unsubscribe"].strip("<>").rsplit("/", 1)[1]
    for bad in (token[:-2] + "xx", tokens.sign(ports.settings.signing_keys(), tokens.UNSUBSCRIBE, {"h": "0" * 64})):
        with pytest.raises(InvalidToken):
            referrals.forget_by_link(bad, ports)
    referrals.forget_by_link(token, ports)
    assert ports.outbox.is_forgotten(friend_hash(ports))


def test_p08_unconverted_friend_data_is_purged_after_its_retention(ports, clock, mailer):
    from shared.store.friends import FriendRepository

    referrer = subscriber(ports, 1)
    invite(ports, referrer)
    deliver(ports, mailer)
    clock.advance(referrals.FRIEND_DATA_RETENTION_SECONDS - DAY)
    assert referrals.purge_expired(ports) == 0
    clock.advance(DAY + 1)
    assert referrals.purge_expired(ports) == 1  # the address (no name is ever kept)
    assert FriendRepository(ports.table).address(friend_hash(ports), ports.clock.now()) is None
    assert [i for i in ports.table.all_items() if FRIEND in str(i) or "Pat Example" in str(i)] == []
    assert referrals_listed(ports, referrer)[0].status == "invited"  # the program's counts stay


def test_referrals_are_capped_per_day_and_per_week_silently():
    clock = FixedClock(1_800_000_000 - 4 * DAY)  # a Monday: the days below stay in one ISO week
    ports = fake_ports(clock)
    referrer = subscriber(ports, 1)
    for n in range(referrals.DAILY_CAP + 2):
        assert invite(ports, referrer, address=f"friend{n}@example.net").status == "accepted"
    assert len(referrals_listed(ports, referrer)) == referrals.DAILY_CAP
    for day in range(1, 4):
        clock.advance(DAY)
        for n in range(referrals.DAILY_CAP):
            invite(ports, referrer, address=f"friend{day}x{n}@example.net")
    assert len(referrals_listed(ports, referrer)) == referrals.WEEKLY_CAP


@pytest.mark.parametrize("field, value", [
    ("friend_name", ""), ("friend_name", "x" * 61), ("friend_name", "Visit https://spam.example"),
    ("friend_name", "win at www.spam.example"), ("friend_email", "not-an-address"), ("friend_email", ""),
])
def test_bad_referral_fields_are_refused(field, value):
    from pydantic import ValidationError

    body = {"friend_name": "Pat", "friend_email": FRIEND, field: value}
    with pytest.raises(ValidationError):
        ReferralRequest.model_validate(body)


def test_a_referrer_cannot_invite_their_own_address(ports):
    referrer = subscriber(ports, 1)
    with pytest.raises(InvalidInput):
        invite(ports, referrer, address=referrer.email.upper())
    assert referrals_listed(ports, referrer) == []


@pytest.mark.parametrize("name, first", [("Mary-Jane O'Neil", "Mary-Jane"), ("  Zoë  Quill", "Zoë"),
                                         ("Eve! <3", "Eve"), ("1234", ""), ("A" * 50, "A" * 30)])
def test_the_referrers_first_name_is_plain_letters_at_most_30(name, first):
    assert referrals.first_name(name) == first


SPELLINGS = ["frida@gmail.com", "frida+news@gmail.com", "f.r.i.d.a@gmail.com", "frida@googlemail.com"]


def test_p06_spellings_of_one_mailbox_get_one_invitation_between_them(ports, mailer):
    """Finding: each spelling of one Gmail mailbox got its own invitation."""
    referrers = [subscriber(ports, n) for n in range(1, 5)]
    for referrer, spelling in zip(referrers, SPELLINGS):
        invite(ports, referrer, address=spelling)
    mail_outbox.sweep(ports, MAIL_HANDLERS)
    assert len([m for m in mailer.sent if m.kind == MailKind.invitation]) == 1
    assert {tuple(r.status for r in referrals_listed(ports, referrer)) for referrer in referrers} == {("invited",)}


def test_p09_forgetting_one_spelling_forgets_the_mailbox(ports, mailer):
    """Finding: forgetting frida+news@gmail.com did not cover frida@gmail.com."""
    referrals.forget("F.Rida+news@GoogleMail.com", ports)
    for n, spelling in enumerate(SPELLINGS, 1):
        invite(ports, subscriber(ports, n), address=spelling)
    mail_outbox.sweep(ports, MAIL_HANDLERS)
    assert [m for m in mailer.sent if m.kind == MailKind.invitation] == []
    assert [i for i in ports.table.all_items() if "frida" in str(i).lower()] == []  # no address stored again


def test_p09_the_referrers_view_is_unchanged_by_the_friends_erasure(ports, mailer):
    """Finding: the referrer's listing changed (name to null) when the friend used forget-me,
    which told the referrer the friend had asked to be erased."""
    referrer = subscriber(ports, 1)
    invite(ports, referrer)
    deliver(ports, mailer)
    before = referrals.referrals_of(referrer, ports)
    referrals.forget(FRIEND, ports)
    assert referrals.referrals_of(referrer, ports) == before
    assert "Pat Example" not in str(ports.table.all_items())  # the name typed was never stored
