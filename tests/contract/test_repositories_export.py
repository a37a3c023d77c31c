"""What a person's export finds by the exact address, on both tables (P04, P15, P28):
contest entries and contact questions by the keyed hash of the address as typed, while
they are kept, and nothing of another spelling of the same mailbox."""
from __future__ import annotations

import time
from typing import Callable

from shared.store.contest_entries import CONFIRMED, ConfirmationLink, Entrant, EntrantContactRepository
from shared.store.questions import ContactQuestion, QuestionRepository
from shared.store.sign_in import Session, SignInRepository
from shared.store.table import Table, Transaction

Ids = Callable[[], str]
NOW = 1_800_000_000.5
LINK_UNTIL = int(NOW) + 3600
KEPT_UNTIL = int(NOW) + 30 * 24 * 3600


def _commit(table: Table, add: Callable[[Transaction], None]) -> None:
    tx = Transaction()
    add(tx)
    table.commit(tx)


def test_p15_an_entry_is_found_by_its_exact_address_hash_while_it_is_held(table: Table, uid: Ids) -> None:
    entrants = EntrantContactRepository(table)
    survey_id, exact, other_spelling = uid(), uid(), uid()
    entrant = Entrant(survey_id, uid(), uid(), exact, "eve@example.org", "2027-01-01", LINK_UNTIL)
    _commit(table, lambda tx: entrants.add_entry(tx, entrant, NOW))
    assert [e.entry_id for e in entrants.entries_of(exact, NOW)] == [entrant.entry_id]
    assert entrants.entries_of(other_spelling, NOW) == []  # never by mailbox
    _commit(table, lambda tx: entrants.add_link_again(tx, entrant, LINK_UNTIL + 7200, NOW))
    assert [e.expires_at for e in entrants.entries_of(exact, LINK_UNTIL)] == [LINK_UNTIL + 7200]
    link = ConfirmationLink(survey_id, uid(), entrant.mailbox_key, entrant.entry_id, LINK_UNTIL + 7200)
    entrants.put_link(link)
    _commit(table, lambda tx: entrants.add_confirmation(tx, link, entrant, {"name": "Eve", "zip": "12345"},
                                                        "2027-01-02", KEPT_UNTIL, NOW))
    [found] = entrants.entries_of(exact, LINK_UNTIL + 7200)  # the index item lives as long as its entry
    assert (found.status, found.name, found.zip) == (CONFIRMED, "Eve", "12345")
    assert entrants.entries_of(exact, KEPT_UNTIL) == []  # past its retention: gone, whatever TTL did
    assert entrants.purge(survey_id) == 1 and entrants.entries_of(exact, NOW) == []


def test_p15_the_pending_purge_takes_the_entrys_index_item_with_it(table: Table, uid: Ids) -> None:
    entrants = EntrantContactRepository(table)
    survey_id, exact = uid(), uid()
    entrant = Entrant(survey_id, uid(), uid(), exact, "idle@example.org", "2027-01-01", LINK_UNTIL)
    _commit(table, lambda tx: entrants.add_entry(tx, entrant, NOW))
    assert entrants.purge_expired_pending(time.strftime("%Y-%m-%d", time.gmtime(LINK_UNTIL)), LINK_UNTIL) >= 1
    assert table.get({"pk": f"ENTRANT#{survey_id}", "sk": f"PERSON#{entrant.mailbox_key}"}) is None
    assert entrants.entries_of(exact, NOW) == []


def test_p04_questions_are_found_by_the_askers_exact_address_hash_while_kept(table: Table, uid: Ids) -> None:
    questions = QuestionRepository(table)
    exact, expires = uid(), int(NOW) + 90 * 24 * 3600
    asked = [ContactQuestion(uid(), "ann@example.org", f"Question {n}", f"2027-01-0{n}T00:00:00.000+00:00", expires,
                             address_hash=exact) for n in (2, 1)]
    for question in asked:
        questions.put(question)
    questions.put(ContactQuestion(uid(), "bob@example.org", "Other", "2027-01-01T00:00:00.000+00:00", expires,
                                  address_hash=uid()))
    assert [q.message for q in questions.questions_of(exact, NOW)] == ["Question 1", "Question 2"]
    assert questions.questions_of(exact, expires) == []


def test_p04_an_accounts_sessions_in_force_are_listed(table: Table, uid: Ids) -> None:
    sign_in, account_id = SignInRepository(table), uid()
    for n, until in enumerate((int(NOW) + 60, int(NOW) - 1)):
        sign_in.put_session(Session(uid(), account_id, f"2027-01-0{n + 1}", until))
    assert [s.created_at for s in sign_in.sessions_of(account_id, NOW)] == ["2027-01-01"]
