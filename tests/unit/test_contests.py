"""Contest entries confirmed by their mailbox, and a draw anyone can re-check, on the fake
ports (P07, P14, P15): one draw ticket per mailbox however it is spelt, unconfirmed entries
neither drawn nor kept, nothing taken after the close, the confirmation mail's send-time
re-check, and ops_verify_draw catching a tampered record."""
from __future__ import annotations

import hashlib

import pytest

from functions import contests, mail_outbox, ops, referrals, surveys
from functions.accounts import deactivate
from functions.contests import LINK_SECONDS, DrawInput, pick
from functions.mail_handlers import MAIL_HANDLERS
from functions.one_time_links import UNPROVEN_MAILS_PER_HOUR
from functions.referrals import ReferralRequest
from functions.surveys import SubmissionRequest, confirm_entry, submit
from shared.errors import Conflict, InvalidInput, InvalidToken
from shared.ids import address_hash
from shared.models import MailKind
from shared.store.contest_entries import EntrantContactRepository
from shared.store.table import Put
from tests.unit.contest_helpers import DETAILS, confirm_by_mail, confirmation_mails, link_of
from tests.unit.people import subscriber
from tests.unit.test_surveys import DAY, define

HOUR = 3600


def enter(contest_id, email, ports, **answers):
    return submit(contest_id, SubmissionRequest.model_validate(
        {"answers": {"destination": "Mexico", **answers}, "email": email, "consent": True}), ports).response_id


def sent(ports, mailer, address):
    mail_outbox.sweep(ports, MAIL_HANDLERS)
    return confirmation_mails(mailer, address)


def close(ports, clock, contest_id, days_open=1):
    clock.advance(days_open * DAY + 1)
    assert contests.commit_closed_contests(ports) == 1
    return surveys.view(contest_id, ports)


def test_p15_one_mailbox_gets_one_draw_ticket_whatever_its_spelling(ports, clock, mailer):
    """gmail dots, a +tag and googlemail.com are one mailbox: one entry, one ticket."""
    contest_id = define(ports, days_open=1)
    spellings = ["Ann.Smith@gmail.com", "annsmith+win@googlemail.com", "a.n.n.smith@GMAIL.com"]
    ids = [enter(contest_id, spellings[0], ports)]
    confirm_by_mail(ports, mailer, spellings[0])
    ids += [enter(contest_id, spelling, ports) for spelling in spellings[1:]]  # each a 201 with a fresh id
    assert len(set(ids)) == 3
    assert sent(ports, mailer, spellings[0]) and all(sent(ports, mailer, s) == [] for s in spellings[1:])
    assert len(confirmation_mails(mailer, spellings[0])) == 1  # a confirmed mailbox gets nothing more
    assert [r.response_id for r in ports.surveys.responses(contest_id)] == ids[:1]  # a duplicate writes nothing
    shown = close(ports, clock, contest_id)
    assert shown.entries == 1 and surveys.results(surveys.ResultsInput(survey_id=contest_id), ports)["entries"] == 1


def test_p15_a_repeat_for_an_unconfirmed_mailbox_mails_the_link_again_within_the_cap(ports, mailer):
    contest_id = define(ports)
    for spelling in ["bo.b@gmail.com", "bob+1@gmail.com"] * 4:
        enter(contest_id, spelling, ports)
    mails = sent(ports, mailer, "bo.b@gmail.com")  # the entry's address as first typed gets every link
    assert len(mails) == UNPROVEN_MAILS_PER_HOUR  # the cap on mail to unproven mailboxes, shared with sign-in
    tokens = [link_of(m)[1] for m in mails]
    assert len(set(tokens)) == len(tokens)
    assert len(ports.surveys.responses(contest_id)) == 1
    entry_id = confirm_entry(contest_id, tokens[0], DETAILS, ports)  # any link of the entry confirms it, once
    with pytest.raises(InvalidToken):
        confirm_entry(contest_id, tokens[-1], DETAILS, ports)
    assert [e.entry_id for e in EntrantContactRepository(ports.table).confirmed(contest_id, ports.clock.now())] == \
        [entry_id]


def test_p15_the_answers_id_links_to_nothing_and_the_entry_has_its_own(ports, mailer):
    contest_id = define(ports)
    response_id = enter(contest_id, "cy@example.org", ports, wish="more minutes")
    entry_id = confirm_by_mail(ports, mailer, "cy@example.org")
    assert entry_id != response_id
    entry_items = [i for i in ports.table.all_items() if i.get("entry_id") == entry_id]
    assert entry_items and all(response_id not in str(item) for item in entry_items)
    answers = [i for i in ports.table.all_items() if i.get("response_id") == response_id]
    assert len(answers) == 1 and entry_id not in str(answers[0]) and "cy@example.org" not in str(answers[0])


def test_p14_p15_a_contests_answers_carry_their_expiry_so_the_table_deletes_them(ports, clock):
    contest_id = define(ports)
    response_id = enter(contest_id, "dee@example.org", ports)
    [answers] = [i for i in ports.table.all_items() if i.get("response_id") == response_id]
    retention_days = surveys.view(contest_id, ports).retention_days
    assert answers["expires_at"] == int(clock.now()) + retention_days * DAY


def test_p15_an_unconfirmed_entry_is_not_drawn_and_is_purged_when_its_link_expires(ports, clock, mailer):
    contest_id = define(ports, days_open=5)
    enter(contest_id, "kept@example.org", ports)
    kept = confirm_by_mail(ports, mailer, "kept@example.org")
    enter(contest_id, "idle@example.org", ports)
    _, token = link_of(sent(ports, mailer, "idle@example.org")[0])
    entries = EntrantContactRepository(ports.table)
    clock.advance(LINK_SECONDS + 1)
    with pytest.raises(InvalidToken):  # every read treats the expired entry as gone
        confirm_entry(contest_id, token, DETAILS, ports)
    assert contests.purge_due(ports) == 1 and contests.purge_due(ports) == 0
    held = [i for i in ports.table.all_items() if i["pk"] == f"ENTRANT#{contest_id}"]
    # the idle address, its entry, its index item and its links are gone; the kept entry and its index item stay
    assert sorted((i["sk"].split("#")[0], i["entry_id"]) for i in held) == [("MAILBOX", kept), ("PERSON", kept)]
    assert "idle@example.org" not in str(ports.table.all_items())
    enter(contest_id, "idle@example.org", ports)  # a new entry may start once the old one is gone
    assert len(sent(ports, mailer, "idle@example.org")) == 2
    shown = close(ports, clock, contest_id, days_open=4)
    assert shown.entries == 1
    assert contests.draw(DrawInput(survey_id=contest_id, winners=3), ports)["winners"] == [kept]
    assert entries.confirmed(contest_id, ports.clock.now())[0].entry_id == kept


def test_p15_entries_and_confirmations_after_the_close_are_refused(ports, clock, mailer):
    contest_id = define(ports, days_open=1)
    enter(contest_id, "late@example.org", ports)
    _, token = link_of(sent(ports, mailer, "late@example.org")[0])
    enter(contest_id, "later@example.org", ports)  # its mail waits in the outbox over the close
    clock.advance(DAY + 1)
    with pytest.raises(Conflict, match="closed"):
        enter(contest_id, "new@example.org", ports)
    with pytest.raises(Conflict, match="closed"):
        confirm_entry(contest_id, token, DETAILS, ports)
    assert sent(ports, mailer, "later@example.org") == []  # the link would be of no use any more
    assert close(ports, clock, contest_id, days_open=0).entries == 0


def test_p15_a_confirmation_racing_the_close_is_refused_once_entries_are_closed(ports, mailer):
    contest_id = define(ports)
    enter(contest_id, "racer@example.org", ports)
    _, token = link_of(sent(ports, mailer, "racer@example.org")[0])
    ports.surveys.close_entries(contest_id, ports.clock.iso())  # what the close does first
    with pytest.raises(Conflict, match="closed"):
        confirm_entry(contest_id, token, DETAILS, ports)


def test_p14_the_confirmation_page_needs_the_details_the_contest_asks_for(ports, mailer):
    contest_id = define(ports)
    enter(contest_id, "dee@example.org", ports)
    _, token = link_of(sent(ports, mailer, "dee@example.org")[0])
    with pytest.raises(InvalidInput, match="shipping_address: needed to send you the prize"):
        confirm_entry(contest_id, token, {"name": "Dee", "zip": "97201"}, ports)
    with pytest.raises(InvalidInput, match="zip"):
        confirm_entry(contest_id, token, {**DETAILS, "zip": "<script>"}, ports)
    with pytest.raises(InvalidToken):
        confirm_entry(contest_id, "x" * 43, DETAILS, ports)
    assert confirm_entry(contest_id, token, DETAILS, ports)


def test_p07_p15_the_confirmation_mail_reaches_a_referred_address_but_no_forgotten_or_suppressed_one(ports, mailer):
    """A referred address with no account asked for this mail by entering (P07's one
    exception); a forgotten friend, a suppressed address and a closed account get nothing."""
    contest_id = define(ports)
    referrer = subscriber(ports, 1)
    friend, forgotten, suppressed = "pat@example.net", "sam@example.net", "lee@example.net"
    for address in (friend, forgotten):
        referrals.refer(referrer, ReferralRequest(friend_name="Pat", friend_email=address), ports)
    mail_outbox.sweep(ports, MAIL_HANDLERS)
    assert [m.kind for m in mailer.to(friend)] == [MailKind.invitation]
    referrals.forget(forgotten, ports)
    ports.outbox.suppress(address_hash(suppressed, ports.settings.hash_key()), "complaint", ports.clock.iso())
    closed = subscriber(ports, 2)
    assert deactivate(closed, ports)
    for address in (friend, forgotten, suppressed, closed.email):
        enter(contest_id, address, ports)
    mail_outbox.sweep(ports, MAIL_HANDLERS)
    assert [m.kind for m in mailer.to(friend)] == [MailKind.invitation, MailKind.contest_confirmation]
    for address in (forgotten, suppressed, closed.email):
        assert confirmation_mails(mailer, address) == [], address


def test_p15_the_confirmation_job_holds_no_address_and_no_token(ports, mailer):
    contest_id = define(ports)
    enter(contest_id, "eve@example.org", ports)
    jobs = [ports.outbox.job(j) for j in ports.outbox.unsent_job_ids()]
    assert [j.kind for j in jobs] == [MailKind.contest_confirmation] and "@" not in str(jobs[0].context)
    _, token = link_of(sent(ports, mailer, "eve@example.org")[0])
    assert token not in str(ports.table.all_items())  # only its hash is stored
    assert hashlib.sha256(token.encode()).hexdigest() in str(ports.table.all_items())


def drawn(ports, clock, mailer, entrants=5, winners=2):
    contest_id = define(ports, days_open=1)
    for n in range(entrants):
        enter(contest_id, f"player{n}@example.org", ports)
        confirm_by_mail(ports, mailer, f"player{n}@example.org")
    close(ports, clock, contest_id)
    assert ops.run("ops_draw_contest", {"survey_id": contest_id, "winners": winners}, ports)["winners"]
    return contest_id


def test_p15_the_draw_record_lets_anyone_recompute_the_winners(ports, clock, mailer):
    contest_id = define(ports, days_open=1)
    commitment = surveys.view(contest_id, ports).commitment
    entry_ids = []
    for n in range(4):
        enter(contest_id, f"open{n}@example.org", ports)
        entry_ids.append(confirm_by_mail(ports, mailer, f"open{n}@example.org"))
    shown = surveys.view(contest_id, ports)
    assert shown.commitment == commitment and shown.entries_hash is None and shown.draw is None  # open: no seed
    shown = close(ports, clock, contest_id)
    assert shown.entries_hash == hashlib.sha256("\n".join(sorted(entry_ids)).encode()).hexdigest()
    record = contests.draw(DrawInput(survey_id=contest_id, winners=2), ports)
    shown = surveys.view(contest_id, ports).draw
    assert shown is not None and shown["entry_ids"] == sorted(entry_ids) and shown["winners"] == record["winners"]
    assert hashlib.sha256(shown["seed"].encode()).hexdigest() == commitment
    assert pick(shown["seed"], shown["entry_ids"], 2) == shown["winners"]


def test_p15_the_seed_is_nowhere_in_the_table_before_the_draw(ports, clock, mailer):
    contest_id = define(ports, days_open=1)
    enter(contest_id, "x@example.org", ports)
    confirm_by_mail(ports, mailer, "x@example.org")
    close(ports, clock, contest_id)
    before = str(ports.table.all_items())
    seed = contests.draw(DrawInput(survey_id=contest_id, winners=1), ports)["seed"]
    assert seed not in before and seed in str(ports.table.all_items())


def test_p15_ops_verify_draw_passes_on_a_drawn_contest(ports, clock, mailer):
    contest_id = drawn(ports, clock, mailer)
    verified = ops.run("ops_verify_draw", {"survey_id": contest_id}, ports)
    assert verified["match"] is True and all(verified["checks"].values())
    assert verified["recomputed_winners"] == verified["winners"]


@pytest.mark.parametrize("tamper, failing", [
    ("list", "entry_ids_match_published_hash"),
    ("winner", "winners_match"),
])
def test_p15_ops_verify_draw_fails_on_a_tampered_draw(ports, clock, mailer, tamper, failing):
    contest_id = drawn(ports, clock, mailer)
    key = {"pk": f"SURVEY#{contest_id}", "sk": "ENTRIES#00000" if tamper == "list" else "DRAW"}
    item = ports.table.get(key)
    if tamper == "list":
        item["ids"] = "\n".join(sorted(item["ids"].split("\n") + ["added-before-the-draw"]))
    else:
        losers = [e for e in surveys.view(contest_id, ports).draw["entry_ids"] if e not in item["winners"]]
        item["winners"] = [losers[0], *item["winners"][1:]]
    ports.table.put(Put(item))
    verified = ops.run("ops_verify_draw", {"survey_id": contest_id}, ports)
    assert verified["match"] is False and verified["checks"][failing] is False


def test_p15_a_draw_of_up_to_99_winners_fits_one_transaction_and_100_is_refused(ports, clock, mailer):
    contest_id = define(ports, days_open=1)
    for n in range(100):
        enter(contest_id, f"many{n}@example.org", ports)
        confirm_by_mail(ports, mailer, f"many{n}@example.org")
    close(ports, clock, contest_id)
    refused = ops.run("ops_draw_contest", {"survey_id": contest_id, "winners": 100}, ports)
    assert refused["error"]["code"] == "validation_error" and "winners" in refused["error"]["message"]
    assert ports.surveys.draw(contest_id) is None
    assert len(ops.run("ops_draw_contest", {"survey_id": contest_id, "winners": 99}, ports)["winners"]) == 99
    mail_outbox.sweep(ports, MAIL_HANDLERS)
    assert len([m for m in mailer.sent if m.kind == MailKind.contest]) == 99


def test_ops_verify_draw_refuses_what_was_not_drawn(ports):
    contest_id = define(ports)
    assert ops.run("ops_verify_draw", {"survey_id": contest_id}, ports)["error"]["code"] == "not_drawn"
    assert ops.run("ops_verify_draw", {"survey_id": "nope"}, ports)["error"]["code"] == "invalid_input"
