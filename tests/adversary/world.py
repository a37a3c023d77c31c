"""The adversary model's worlds, actors, addresses and mailboxes.

Actors: the OWNER (holds V, the target address, and V2, an address they may move their
account to), the STRANGER (holds S and S2, and may come to hold an address the owner gave
up: worst case, they then see every mail ever sent to it) and a BYSTANDER who holds X, the
third address the stranger probes. Nobody acts for the bystander and nobody reads X's mail.
The mail provider (one-click unsubscribe posts) and the clock are rules of the machine.

A `World` is one fake_ports store (real repositories over a MemoryTable that records every
call), its mailer, its clock, and what each actor holds and has seen. The machine runs every
rule in two worlds that differ only in whether X has an account (created in `World.__init__`
through the use cases); whatever the stranger can observe must be the same in both.
"""
from __future__ import annotations

import contextlib
import io
import json
import re
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from shared.clock import FixedClock
from shared.errors import DomainError
from shared.ids import canonical_mailbox
from shared.mail.render import SUBJECTS
from shared.mail.ses import OutgoingMail
from shared.store.table import Put, Transaction
from tests.adversary import adapters
from tests.adversary.adapters import Choice, SignupRecord
from tests.fakes import MemoryTable, RecordingMailer, fake_ports

START = 1_800_000_000  # an hour boundary

OWNER, STRANGER, BYSTANDER = "owner", "stranger", "bystander"
ACTORS = (OWNER, STRANGER)

V = "olive@example.org"  # the target: the owner's address
V2 = "olive.new@example.net"  # where the owner may move their account
S = "mallory@example.net"  # the stranger's
S2 = "mallory.two@example.org"  # the stranger's second address
X = "bea@example.org"  # the probe: an account in one world, none in the other
ADDRESSES = (V, V2, S, S2, X)
OWNER_ADDRESSES = (V, V2)

# Text each actor may type (names): disjoint, and found in no template, so the owner seeing
# a stranger's string can only mean the stranger's words reached them.
NAMES = {
    OWNER: ("Olive Owner", "Olive Q Public"),
    STRANGER: ("Claim your prize at prize.example.net", "Mallory Stranger"),
    BYSTANDER: ("Bea Bystander",),
}
STRANGER_TEXT = NAMES[STRANGER]

# Mail to an address that has not proven itself (API.md): these share the hourly cap. A
# "signup again" is sent as a confirm or sign-in link mail, so it is counted as one of those.
UNSOLICITED_TEMPLATES = ("welcome", "confirm_link", "signin_link", "email_change_confirm", "invitation",
                         "contest_confirmation")
TEMPLATE_OF_SUBJECT = {subject: template for template, subject in SUBJECTS.items() if subject}

LOGIN_LINK = re.compile(r"https?://[^\s\"'<>]+/login/([A-Za-z0-9_-]+)")
UNSUBSCRIBE_LINK = re.compile(r"https?://[^\s\"'<>]+/unsubscribe/([A-Za-z0-9_.-]+)")
CONTEST_LINK = re.compile(r"https?://[^\s\"'<>]+/surveys/([A-Za-z0-9_-]+)/confirm-email/([A-Za-z0-9_-]+)")


def template_of(mail: OutgoingMail) -> str:
    return TEMPLATE_OF_SUBJECT.get(mail.subject, "campaign" if mail.kind == "promotional" else "other")


# -- the table, recording each call ------------------------------------------------------
class RecordingTable(MemoryTable):
    """A MemoryTable that records the name of each call (and a transaction's operation
    kinds): what an observer of the AWS calls, or of their timing, could tell apart."""

    def __init__(self) -> None:
        super().__init__()
        self.calls: list[str] = []
        self.mail_queued = False  # a mail job was written since the sweeper last ran

    def _watch(self, items) -> None:
        if any(item.get("type") == "mail_job" for item in items):
            self.mail_queued = True

    def get(self, key, consistent=True):
        self.calls.append("get")
        return super().get(key, consistent)

    def get_many(self, keys):
        self.calls.append(f"batch_get[{len(keys)}]")
        return super().get_many(keys)

    def query(self, partition, **kwargs):
        self.calls.append(f"query[{kwargs.get('index') or 'table'}]")
        return super().query(partition, **kwargs)

    def put(self, op):
        self.calls.append("put")
        self._watch([op.item])
        return super().put(op)

    def update(self, op):
        self.calls.append("update")
        return super().update(op)

    def delete(self, op):
        self.calls.append("delete")
        return super().delete(op)

    def put_many(self, items):
        self.calls.append(f"batch_write[{len(items)}]")
        self._watch(items)
        return super().put_many(items)

    def commit(self, transaction: Transaction):
        # A transaction is one call; its operation count is what its cost follows.
        self.calls.append(f"transact[{len(transaction.operations)}]")
        self._watch([op.item for op in transaction.operations if isinstance(op, Put)])
        return super().commit(transaction)


# -- what an actor observes ----------------------------------------------------------------
def outcome_of(call, *args: Any, **kwargs: Any) -> tuple[Any, str]:
    """Call a use case as the HTTP edge would: (result, its answer as text). A DomainError
    is the 4xx answer (type and code); anything else propagates (a 5xx is always a bug)."""
    try:
        result = call(*args, **kwargs)
    except DomainError as error:
        return error, f"{type(error).__name__}({error.code})"
    return result, answer_text(result)


_RANDOM_PARTS = [
    (re.compile(r"/login/[A-Za-z0-9_-]+"), "/login/<token>"),
    (re.compile(r"/unsubscribe/[A-Za-z0-9_.-]+"), "/unsubscribe/<token>"),
    (re.compile(r"/surveys/[A-Za-z0-9_-]+/confirm-email/[A-Za-z0-9_-]+"), "/surveys/<id>/confirm-email/<token>"),
    (re.compile(r"ord_[0-9a-f]{24}"), "ord_<id>"),
    (re.compile(r"cs_fake_[0-9a-f]{24}"), "cs_fake_<id>"),
]


def without_random_parts(text: str) -> str:
    """Tokens and ids are random in each world; what they stand for is not."""
    for pattern, placeholder in _RANDOM_PARTS:
        text = pattern.sub(placeholder, text)
    return text


def _dropping_ids(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _dropping_ids(v) for k, v in value.items() if k not in ("account_id", "campaign_id")}
    if isinstance(value, (list, tuple)):
        return [_dropping_ids(v) for v in value]
    return value


def answer_text(result: Any) -> str:
    """A use case's answer as the client would read it, random ids left out."""
    if hasattr(result, "model_dump"):
        value = result.model_dump(mode="json")
    elif hasattr(result, "__dataclass_fields__"):
        value = {name: getattr(result, name) for name in result.__dataclass_fields__}
        value = {k: (v.email if hasattr(v, "email") else v) for k, v in value.items()}
    else:
        value = result
    return without_random_parts(json.dumps(_dropping_ids(value), sort_keys=True, default=str))


def mail_text(mail: OutgoingMail) -> str:
    """A mail as its reader sees it, random parts left out (for comparing the two worlds)."""
    return without_random_parts(f"To: {mail.to}\nSubject: {mail.subject}\n{json.dumps(mail.headers, sort_keys=True)}\n"
                                f"{mail.text}")


@dataclass(frozen=True)
class Received:
    """A mail in an actor's mailbox: at which step it was sent, to which address."""

    step: int
    address: str
    mail: OutgoingMail

    @property
    def template(self) -> str:
        return template_of(self.mail)

    def login_tokens(self) -> list[str]:
        return LOGIN_LINK.findall(self.mail.text)

    def contest_links(self) -> list[tuple[str, str]]:
        return CONTEST_LINK.findall(self.mail.text)

    def unsubscribe_tokens(self) -> list[str]:
        """The body's link, then the List-Unsubscribe header's (the same link, usually)."""
        found = UNSUBSCRIBE_LINK.findall(self.mail.text)
        found += UNSUBSCRIBE_LINK.findall(self.mail.headers.get("List-Unsubscribe", ""))
        return list(dict.fromkeys(found))


@dataclass(frozen=True)
class Asked:
    """An action by which an actor asked for a link at an address (the owner uses only
    links they asked for: a careful owner ignores mail that says "if this wasn't you")."""

    step: int
    kind: str  # "login" (signup, sign-in) or "email_change"
    address: str


@dataclass
class Facts:
    """What the rules observed in one world since the invariants last looked."""

    sessions_obtained: list[str] = field(default_factory=list)  # violations, described
    new_mail: list[tuple[int, int, OutgoingMail]] = field(default_factory=list)  # (step, hour, mail)
    checkout_mismatches: list[str] = field(default_factory=list)
    erasure_seen: list[str] = field(default_factory=list)

    def clear(self) -> None:
        self.erasure_seen.clear()
        self.sessions_obtained.clear()
        self.new_mail.clear()
        self.checkout_mismatches.clear()


class World:
    """One store on fake ports, and what every actor holds and has seen in it."""

    def __init__(self, name: str, x_has_account: bool) -> None:
        self.name = name
        self.clock = FixedClock(START)
        self.table = RecordingTable()
        self.mailer = RecordingMailer()
        self.ports = fake_ports(self.clock, table=self.table, mailer=self.mailer)
        self.holders: dict[str, str] = {V: OWNER, V2: OWNER, S: STRANGER, S2: STRANGER, X: BYSTANDER}
        self.mailboxes: dict[str, list[Received]] = {OWNER: [], STRANGER: [], BYSTANDER: []}
        self.cookies: dict[str, str | None] = {OWNER: None, STRANGER: None}  # each actor's one browser
        self.carts: dict[str, str | None] = {OWNER: None, STRANGER: None}
        self.asked: dict[str, list[Asked]] = {OWNER: [], STRANGER: []}
        self.tried: dict[str, set[str]] = {OWNER: set(), STRANGER: set()}  # link tokens each actor used
        self.signups: dict[str, SignupRecord] = {}  # account id -> the signup that created it
        # P02: for each account and topic, the actor whose own action turned it on (None: off).
        self.consent: dict[str, dict[str, str | None]] = {}
        self.once_at: dict[str, set[str]] = {}  # account id -> every address it has had
        self.checkouts: dict[tuple[str, str], tuple[float, str]] = {}  # (account, key) -> first answer
        self.sent = 0  # mails of mailer.sent already delivered to mailboxes
        self.facts = Facts()
        self.recycled: set[str] = set()
        self.unsolicited: Counter[tuple[str, int]] = Counter()  # (address, hour) -> unproven mails sent
        self.invited: Counter[str] = Counter()  # mailbox -> invitations it ever got
        self.tickets: Counter[str] = Counter()  # mailbox -> contest entries confirmed (draw tickets)
        self.contest_id = adapters.open_contest(self.ports)
        self.forgotten_at: dict[str, int] = {}  # mailbox -> the step its forget-me was asked
        # P28: account id -> (the step it was closed, its address then, its conversions then)
        self.closed: dict[str, tuple[int, str, int]] = {}
        if x_has_account:
            self._bystander_account()

    def __repr__(self) -> str:
        return f"<World {self.name}>"

    # -- looking at the store --------------------------------------------------------------
    def account_id_at(self, address: str) -> str | None:
        from shared.ids import address_hash

        return self.ports.accounts.account_id_for(address_hash(address, self.ports.settings.hash_key()))

    def account(self, account_id: str):
        return self.ports.accounts.get(account_id)

    def holder(self, address: str) -> str:
        return self.holders.get(address.lower(), "nobody")

    # -- mail --------------------------------------------------------------------------------
    def deliver(self, step: int, hour: int) -> list[Received]:
        """Run the sweeper and put each mail sent into the mailbox of whoever holds its
        address now; returns what arrived."""
        if self.table.mail_queued:  # nothing to send otherwise: spare the sweeper's queries
            self.table.mail_queued = False
            with contextlib.redirect_stdout(io.StringIO()):  # its CloudWatch metric lines
                adapters.deliver_mail(self.ports)
        arrived = []
        # In a stable order: the sweeper's order follows random job ids, and which link is
        # "the newest" must not depend on that.
        for mail in sorted(self.mailer.sent[self.sent:], key=mail_text):
            received = Received(step, mail.to.lower(), mail)
            self.mailboxes.setdefault(self.holder(mail.to), []).append(received)
            self.facts.new_mail.append((step, hour, mail))
            if template_of(mail) in UNSOLICITED_TEMPLATES:
                self.unsolicited[(mail.to.lower(), hour)] += 1
            if mail.kind == "invitation":
                self.invited[canonical_mailbox(mail.to)] += 1
            arrived.append(received)
        self.sent = len(self.mailer.sent)
        return arrived

    def recycle(self, address: str, step: int) -> list[Received]:
        """The stranger comes to hold an address the owner gave up, and (worst case) sees
        every mail ever sent to it."""
        self.holders[address] = STRANGER
        self.recycled.add(address)
        history = [Received(step, address, m) for m in self.mailer.sent if m.to.lower() == address]
        self.mailboxes[STRANGER] += history
        return history

    def recyclable(self, address: str) -> bool:
        """The owner moved an account of theirs away from the address, and no account has it now."""
        return (self.holders.get(address) == OWNER and self.account_id_at(address) is None
                and any(address in seen for seen in self.once_at.values()))

    def login_links(self, actor: str) -> list[tuple[Received, str]]:
        """The /login links the actor may use, newest untried first, then the ones tried:
        any they have seen (the stranger), or those they asked for (the owner: a link at an
        address after their own signup or sign-in request there; an address-change link at
        an address after their own request for it)."""
        links = [(r, token) for r in self.mailboxes[actor] for token in r.login_tokens()]
        if actor == OWNER:
            def expected(received: Received) -> bool:
                """Asked for, and in a mailbox the owner still holds (a recycled address's
                mail is the stranger's now)."""
                kind = "email_change" if received.template == "email_change_confirm" else "login"
                return self.holder(received.address) == OWNER and any(
                    a.kind == kind and a.address == received.address and a.step <= received.step
                    for a in self.asked[OWNER])

            links = [(r, token) for r, token in links if expected(r)]
        return self._untried_first(actor, links)

    def contest_links(self, actor: str) -> list[tuple[Received, str]]:
        """The contest confirmation links in the actor's mailbox, newest untried first."""
        return self._untried_first(actor, [(r, token) for r in self.mailboxes[actor]
                                           for _survey, token in r.contest_links()])

    def unsubscribe_links(self, actor: str) -> list[tuple[Received, str]]:
        """The unsubscribe links in the actor's mailbox, newest untried first."""
        return self._untried_first(actor, [(r, token) for r in self.mailboxes[actor]
                                           for token in r.unsubscribe_tokens()])

    def _untried_first(self, actor: str, links: list[tuple[Received, str]]) -> list[tuple[Received, str]]:
        newest_first = list(reversed(links))
        tried = self.tried[actor]
        return [x for x in newest_first if x[1] not in tried] + [x for x in newest_first if x[1] in tried]

    # -- the model's own bookkeeping -----------------------------------------------------------
    def note_address(self, account_id: str, address: str) -> None:
        self.once_at.setdefault(account_id, set()).add(address.lower())

    def note_closed(self, account, step: int) -> None:
        self.closed[account.account_id] = (step, account.email.lower(),
                                           adapters.referrer_joined(self.ports, account.account_id))

    def set_consent(self, account_id: str, topics: dict[str, bool], by: str) -> None:
        ledger = self.consent.setdefault(account_id, {})
        for topic, on in topics.items():
            ledger[topic] = by if on else None

    def _bystander_account(self) -> None:
        """X's account, made and confirmed through the use cases; topics off."""
        adapters.sign_up(self.ports, X, NAMES[BYSTANDER][0], False)
        account_id = self.account_id_at(X)
        assert account_id is not None
        self.signups[account_id] = SignupRecord(BYSTANDER, NAMES[BYSTANDER][0], False)
        [welcome] = self.deliver(0, START // 3600)
        [token] = welcome.login_tokens()
        adapters.use_login_link(self.ports, token, Choice(None, {"newsletter": False, "promotions": False}), None)
        self.set_consent(account_id, {"newsletter": False, "promotions": False}, BYSTANDER)
        self.note_address(account_id, X)
        self.facts.clear()
