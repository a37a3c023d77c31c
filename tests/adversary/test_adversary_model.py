"""A stateful adversary model (hypothesis RuleBasedStateMachine) over the real use cases.

An owner, a stranger, the mail provider and the clock act on the store through the use
cases (tests/adversary/adapters.py: one adapter per use case) on fake ports; mail is
delivered by the real sweeper after every step, and an actor sees the mail sent to the
addresses they hold (world.py). Every rule runs in two worlds that differ only in whether
X, an address the stranger probes, has an account. After every step the invariants below
are checked, each named by the promise it guards:

  p04_p28_sessions_only_for_the_address_holder
  p02_p03_p12_promotions_only_with_the_holders_consent
  p02_topics_on_only_by_the_holders_own_action
  p02_p04_no_stranger_text_reaches_the_owner
  p07_unproven_mail_capped_per_mailbox_hour
  p06_p09_one_invitation_per_mailbox_and_none_after_forget_me
  p09_erasure_unseen_and_nothing_kept
  p15_one_draw_ticket_per_mailbox
  p07_p14_no_typed_text_to_an_unproven_address
  p17_same_checkout_key_same_answer
  p28_nothing_reaches_a_closed_account_and_it_gains_no_referral
  oracle_p04_stranger_sees_the_same_in_both_worlds
  oracle_p04_p06_p09_calls_the_same_in_both_worlds

Each step's outcome in both worlds is a hypothesis note(), so a failure prints the shrunk
steps with what each did. The two actors start with or without an account (initialize
rules); the owner uses only links they asked for, the stranger any link they have seen.

Running it:
  pytest tests/adversary -q                        the default: a fixed seed, DEFAULT_EXAMPLES
  ADVERSARY_EXAMPLES=3000 pytest tests/adversary   deeper
  ADVERSARY_ONLY=sessions pytest tests/adversary   only the invariants whose name contains
                                                   "sessions" (comma-separated parts; "oracle"
                                                   selects both oracles): a state machine stops
                                                   at its first failure, so this shows one
                                                   invariant's own shrunk counterexample
How many steps checked each invariant (and how many facts: sessions, mails, pages) is
printed at the end (pytest -s, or the captured output of a failure) and stored as the
test's user property "adversary_invariants" (INVARIANT_CHECKS and INVARIANT_FACTS hold it).
"""
from __future__ import annotations

import os
from collections import Counter

from hypothesis import HealthCheck, note, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    Bundle,
    initialize,
    RuleBasedStateMachine,
    multiple,
    precondition,
    rule,
    run_state_machine_as_test,
)

from functions.checkout import IDEMPOTENCY_WINDOW_SECONDS
from functions.one_time_links import UNPROVEN_MAILS_PER_HOUR
from shared.errors import DomainError
from shared.ids import canonical_mailbox
from shared.models import ALL_TOPICS
from tests.adversary import adapters
from tests.adversary.adapters import Choice, SignupRecord
from tests.adversary.world import (
    ACTORS,
    ADDRESSES,
    NAMES,
    OWNER,
    OWNER_ADDRESSES,
    STRANGER,
    STRANGER_TEXT,
    X,
    V,
    S,
    UNSOLICITED_TEMPLATES,
    Asked,
    World,
    answer_text,
    mail_text,
    outcome_of,
    template_of,
)

DEFAULT_EXAMPLES = 300  # under a minute here; ADVERSARY_EXAMPLES=N runs it deeper
STEPS = 50
EXAMPLES = int(os.environ.get("ADVERSARY_EXAMPLES") or DEFAULT_EXAMPLES)
ONLY = [part.strip() for part in os.environ.get("ADVERSARY_ONLY", "").split(",") if part.strip()]

SETTINGS = settings(
    max_examples=EXAMPLES,
    stateful_step_count=STEPS,
    derandomize=True,  # the same examples on every run: a fixed seed
    database=None,  # nothing carried over between runs, nothing written to .hypothesis/
    deadline=None,  # a step runs several use cases in two worlds: tens of milliseconds, varying
    # Justified: one example is up to STEPS steps of real use cases in two worlds, far
    # slower than the strategies' draws that this health check is about.
    suppress_health_check=[HealthCheck.too_slow],
)

INVARIANTS = {  # invariant method -> the promises it checks
    "p04_p28_sessions_only_for_the_address_holder": ("P04", "P28"),
    "p02_p03_p12_promotions_only_with_the_holders_consent": ("P02", "P03", "P12"),
    "p02_topics_on_only_by_the_holders_own_action": ("P02",),
    "p02_p04_no_stranger_text_reaches_the_owner": ("P02", "P04"),
    "p07_unproven_mail_capped_per_mailbox_hour": ("P07",),
    "p06_p09_one_invitation_per_mailbox_and_none_after_forget_me": ("P06", "P09"),
    "p09_erasure_unseen_and_nothing_kept": ("P09",),
    "p15_one_draw_ticket_per_mailbox": ("P15",),
    "p07_p14_no_typed_text_to_an_unproven_address": ("P07", "P14"),
    "p17_same_checkout_key_same_answer": ("P17",),
    "p28_nothing_reaches_a_closed_account_and_it_gains_no_referral": ("P28",),
    "oracle_p04_stranger_sees_the_same_in_both_worlds": ("P04",),
    "oracle_p04_p06_p09_calls_the_same_in_both_worlds": ("P04", "P06", "P09"),
}
INVARIANT_CHECKS: Counter[str] = Counter()  # invariant -> steps after which it was checked
INVARIANT_FACTS: Counter[str] = Counter()  # invariant -> facts it looked at (sessions, mails, views...)


def enabled(invariant_name: str) -> bool:
    return not ONLY or any(part in invariant_name for part in ONLY)


def counted(invariant_name: str, facts: int = 0) -> None:
    INVARIANT_CHECKS[invariant_name] += 1
    INVARIANT_FACTS[invariant_name] += facts


def invariant_report() -> dict[str, dict]:
    return {name: {"promises": list(promises), "enabled": enabled(name), "steps_checked": INVARIANT_CHECKS[name],
                   "facts_checked": INVARIANT_FACTS[name]} for name, promises in INVARIANTS.items()}


actors = st.sampled_from(ACTORS)
addresses = st.sampled_from(ADDRESSES)
name_pick = st.integers(0, 1)
# Which link of those the actor may use, newest untried first; mostly the first.
link_pick = st.one_of(st.just(0), st.integers(0, 7))
# Where a signed-in actor moves their account: another address they hold, the other actor's
# address (the owner's V, or the stranger's S), or X (an account in one world only).
MY_OTHER_ADDRESS, THEIR_ADDRESS = "my other address", "the other actor's address"
CHANGE_TO = (MY_OTHER_ADDRESS, THEIR_ADDRESS, X)
MINUTES = (1, 16, 61, 24 * 60 + 1, 7 * 24 * 60 + 1)  # past each lifetime: sign-in, cap hour, change, confirm
SKUS = ("MX-10", "IN-10")
KEYS = ("retry-key-0001", "retry-key-0002")


class AdversaryModel(RuleBasedStateMachine):
    """The owner and the stranger against one store, in two worlds (X with, X without an account)."""

    signed_in = Bundle("signed_in")  # actors who obtained a session (it may have ended since)

    def __init__(self) -> None:
        super().__init__()
        self.worlds = [World("X has an account", x_has_account=True), World("X has none", x_has_account=False)]
        self.step = 0
        self.hour = 0
        self.oracle_answers: list[str] = []  # differences the stranger saw in this step
        self.oracle_calls: list[str] = []
        self.drawn = False

    # -- running a step in both worlds --------------------------------------------------------
    def _run(self, label: str, actor: str | None, action, compare_calls: bool = False) -> dict[str, str]:
        """Run `action(world) -> answer text` in each world, deliver the mail, and compare
        what the stranger saw (their answer, their table calls, their new mail)."""
        self.step += 1
        self.oracle_answers, self.oracle_calls = [], []
        start = max(w.clock.now() for w in self.worlds)
        self.hour = int(start // 3600)
        answers, calls, mail = {}, {}, {}
        for w in self.worlds:
            w.clock.at = start
            w.facts.clear()
            w.table.calls.clear()
            answers[w.name] = action(w)
            calls[w.name] = list(w.table.calls)
            arrived = w.deliver(self.step, self.hour)
            mail[w.name] = sorted(mail_text(r.mail) for r in arrived if w.holder(r.address) == STRANGER)
        end = max(w.clock.now() for w in self.worlds)
        for w in self.worlds:
            w.clock.at = end
        a, b = self.worlds
        if len(set(answers.values())) == 1:
            note(f"step {self.step} {label}: {answers[a.name]}")
        else:
            note(f"step {self.step} {label}: " + " | ".join(f"[{w.name}] {answers[w.name]}" for w in self.worlds))
        if actor == STRANGER and answers[a.name] != answers[b.name]:
            self.oracle_answers.append(f"step {self.step} {label}: the stranger's answer: [{a.name}] "
                                       f"{answers[a.name]} | [{b.name}] {answers[b.name]}")
        if actor == STRANGER and compare_calls and calls[a.name] != calls[b.name]:
            self.oracle_calls.append(f"step {self.step} {label}: the table calls: [{a.name}] {calls[a.name]} | "
                                     f"[{b.name}] {calls[b.name]}")
        if mail[a.name] != mail[b.name]:
            self.oracle_answers.append(f"step {self.step} {label}: the stranger's new mail: [{a.name}] "
                                       f"{[m.splitlines()[1] for m in mail[a.name]]} | [{b.name}] "
                                       f"{[m.splitlines()[1] for m in mail[b.name]]}")
        self._check_invariants()
        return answers

    def _check_invariants(self) -> None:
        """After every step, each selected invariant (a method named after its promises)."""
        for name in INVARIANTS:
            if enabled(name):
                getattr(self, name)()

    def _signed_in(self, w: World, actor: str):
        """The account behind the actor's session cookie, or the 401 answer."""
        try:
            return adapters.signed_in_account(w.ports, w.cookies[actor]), None
        except DomainError as error:
            return None, f"{type(error).__name__}({error.code})"

    # -- the actors' first state (hypothesis draws it; it shrinks to "nobody has an account") ----
    @initialize(target=signed_in, with_account=st.booleans(), promotions=st.booleans())
    def owner_starts(self, with_account, promotions):
        """The owner may start as a customer: signed up at V, confirmed, signed in."""
        if not with_account:
            return multiple()
        self.sign_up(actor=OWNER, address=V, name=0, promotions=promotions)
        return self.use_login_link(actor=OWNER, pick=0, name=0, newsletter=promotions, promotions=promotions)

    @initialize(target=signed_in, with_account=st.booleans(), promotions=st.booleans())
    def stranger_starts(self, with_account, promotions):
        """The stranger may start as a customer: signed up at S, confirmed, signed in."""
        if not with_account:
            return multiple()
        self.sign_up(actor=STRANGER, address=S, name=0, promotions=promotions)
        return self.use_login_link(actor=STRANGER, pick=0, name=0, newsletter=promotions, promotions=promotions)

    # -- rules: signup and links ----------------------------------------------------------------
    @rule(actor=actors, address=addresses, name=name_pick, promotions=st.booleans())
    def sign_up(self, actor, address, name, promotions):
        """POST /signup with any address, one of the actor's names, promotions on or off."""
        typed = NAMES[actor][name]

        def action(w: World) -> str:
            before = w.account_id_at(address)
            _, text = outcome_of(adapters.sign_up, w.ports, address, typed, promotions)
            after = w.account_id_at(address)
            if before is None and after is not None:
                w.signups[after] = SignupRecord(actor, typed, promotions)
                w.note_address(after, address)
            w.asked[actor].append(Asked(self.step, "login", address))
            return text

        self._run(f"the {actor} signs up {address} as {typed!r}, promotions={promotions}", actor, action,
                  compare_calls=True)

    @rule(actor=actors, address=addresses)
    def request_sign_in(self, actor, address):
        """POST /login."""

        def action(w: World) -> str:
            w.asked[actor].append(Asked(self.step, "login", address))
            return outcome_of(adapters.request_sign_in, w.ports, address)[1]

        self._run(f"the {actor} asks for a sign-in link to {address}", actor, action, compare_calls=True)

    @precondition(lambda self: any(w.login_links(a) for w in self.worlds for a in ACTORS))
    @rule(target=signed_in, actor=actors, pick=link_pick, name=st.none() | name_pick, newsletter=st.booleans(),
          promotions=st.booleans())
    def use_login_link(self, actor, pick, name, newsletter, promotions):
        """POST /login/{token}: the actor presses Continue on a /login link from their mailbox
        (the stranger: any; the owner: one they asked for), pick 0 being the newest they have
        not tried yet; on a confirm page they chose an optional name and the topics."""
        choice = Choice(None if name is None else NAMES[actor][name],
                        {"newsletter": newsletter, "promotions": promotions})
        started = []

        def action(w: World) -> str:
            links = w.login_links(actor)
            if not links:
                return "no link to use"
            received, token = links[pick % len(links)]
            w.tried[actor].add(token)
            where = f"the {received.template} link mailed to {received.address} at step {received.step}"
            account_before = self._account_behind(w, token)
            used, text = outcome_of(adapters.use_login_link, w.ports, token, choice, w.cookies[actor])
            if isinstance(used, DomainError):
                return f"{where}: {text}"
            account = used.account
            w.note_address(account.account_id, account.email)
            if account_before is not None and account_before.status == "pending" and used.purpose == "confirm":
                applied = adapters.confirm_applied(choice, actor, w.signups.get(account.account_id))
                if applied is not None:
                    w.set_consent(account.account_id, dict(applied.topics), applied.chosen_by)
            if used.starts_session:
                w.cookies[actor] = adapters.start_session(w.ports, account.account_id, w.cookies[actor])
                holder = w.holder(account.email)
                if holder != actor:
                    w.facts.sessions_obtained.append(
                        f"[{w.name}] step {self.step}: the {actor} obtained a session on the account now at "
                        f"{account.email} (held by the {holder}) with {where}")
                started.append(w)
            return f"{where}: {text}"

        self._run(f"the {actor} presses Continue on a /login link (pick {pick}), choosing name {choice.name!r}, "
                  f"topics {dict(choice.topics)}", actor, action)
        return actor if started else multiple()

    @staticmethod
    def _account_behind(w: World, token: str):
        """Which account a link is for, as GET /login/{token} reads it (None: no longer usable)."""
        try:
            login = adapters.peek_login_link(w.ports, token)
        except DomainError:
            return None
        return w.account(login.account_id)

    # -- rules: My Account --------------------------------------------------------------------
    @staticmethod
    def _address(w: World, actor: str, account, to: str) -> str | None:
        """The address `to` names for this actor: another they hold than their account's,
        the first the other actor holds, or X."""
        if to == MY_OTHER_ADDRESS:
            found = [a for a in ADDRESSES if w.holder(a) == actor and a != account.email.lower()]
        elif to == THEIR_ADDRESS:
            found = [a for a in ADDRESSES if w.holder(a) in ACTORS and w.holder(a) != actor]
        else:
            found = [to]
        return found[0] if found else None

    @rule(actor=signed_in, to=st.sampled_from(CHANGE_TO))
    def change_address(self, actor, to):
        """PATCH /account {email}: to another address of the actor's, or any address (the
        other actor's, or one that has an account, included)."""

        def action(w: World) -> str:
            account, refused = self._signed_in(w, actor)
            if account is None:
                return refused
            address = self._address(w, actor, account, to)
            if address is None:
                return f"no {to}"
            w.asked[actor].append(Asked(self.step, "email_change", address))
            return f"to {address}: " + outcome_of(adapters.update_profile, w.ports, account, address, None)[1]

        self._run(f"the {actor} changes their account's address to {to}", actor, action, compare_calls=True)

    @precondition(lambda self: any(w.cookies[OWNER] for w in self.worlds))
    @rule()
    def owner_moves_account(self):
        """The owner moves their account to their other address: the change, then its link."""
        self.change_address(actor=OWNER, to=MY_OTHER_ADDRESS)
        self.use_login_link(actor=OWNER, pick=0, name=None, newsletter=False, promotions=False)

    @rule(actor=signed_in, change=st.sampled_from(("topics", "name", "close the account")), name=name_pick,
          newsletter=st.booleans(), promotions=st.booleans())
    def my_account(self, actor, change, name, newsletter, promotions):
        """My Account, signed in: PUT /account/preferences (the actor's own choice, credited
        to them), PATCH /account {name}, or POST /account/deactivate (the cookie is cleared).
        One rule, so that closing an account (which ends every later signed-in step) stays rare."""
        topics = {"newsletter": newsletter, "promotions": promotions}
        typed = NAMES[actor][name]

        def action(w: World) -> str:
            account, refused = self._signed_in(w, actor)
            if account is None:
                return refused
            if change == "name":
                return outcome_of(adapters.update_profile, w.ports, account, None, typed)[1]
            if change == "close the account":
                closed, text = outcome_of(adapters.deactivate, w.ports, account)
                if closed is True:
                    w.note_closed(account, self.step)
                w.cookies[actor] = None
                return text
            result, text = outcome_of(adapters.set_preferences, w.ports, account, topics)
            if not isinstance(result, DomainError):
                w.set_consent(account.account_id, topics, actor)
            return text

        self._run({"topics": f"the {actor} sets their topics {topics}", "name": f"the {actor} renames their account "
                   f"{typed!r}", "close the account": f"the {actor} closes their account"}[change], actor, action)

    # -- rules: unsubscribing -------------------------------------------------------------------
    @precondition(lambda self: any(w.unsubscribe_links(a) for w in self.worlds for a in ACTORS))
    @rule(mailbox_of=actors, pick=link_pick, how=st.sampled_from(("page", "page: stop all", "provider one-click")))
    def unsubscribe(self, mailbox_of, pick, how):
        """An unsubscribe link of a mail in someone's mailbox: its holder posts the page's
        form (optionally "stop all"), or the mail provider posts RFC 8058 one-click."""
        actor = mailbox_of if how != "provider one-click" else None

        def action(w: World) -> str:
            links = w.unsubscribe_links(mailbox_of)
            if not links:
                return "no unsubscribe link"
            received, token = links[pick % len(links)]
            w.tried[mailbox_of].add(token)
            if how == "provider one-click":
                result, text = outcome_of(adapters.one_click, w.ports, token)
            else:
                result, text = outcome_of(adapters.unsubscribe_page, w.ports, token, how == "page: stop all")
            if not isinstance(result, DomainError):
                w.set_consent(result.account_id, {topic: False for topic in result.topics}, mailbox_of)
            return f"the link of the {received.template} mail to {received.address}: {text}"

        self._run(f"{how}: an unsubscribe link in the {mailbox_of}'s mailbox (pick {pick})", actor, action)

    @rule(actor=actors, address=addresses)
    def contact_unsubscribe(self, actor, address):
        """POST /contact {topic: unsubscribe} for any address."""

        def action(w: World) -> str:
            account_id = w.account_id_at(address)
            result, text = outcome_of(adapters.contact_unsubscribe, w.ports, address)
            if account_id is not None and not isinstance(result, DomainError):
                w.set_consent(account_id, {topic: False for topic in ALL_TOPICS}, actor)
            return text

        self._run(f"the {actor} asks by the contact form to unsubscribe {address}", actor, action, compare_calls=True)

    # -- rules: Tell-A-Friend ---------------------------------------------------------------------
    @rule(actor=signed_in, address=addresses, spelling=st.sampled_from(("as typed", "+tag", "capitals")))
    def refer(self, actor, address, spelling):
        """POST /referrals of any address, in one of its spellings (one mailbox, one friend)."""
        local, _, domain = address.partition("@")
        typed = {"as typed": address, "+tag": f"{local}+friends@{domain}", "capitals": address.upper()}[spelling]

        def action(w: World) -> str:
            account, refused = self._signed_in(w, actor)
            if account is None:
                return refused
            return outcome_of(adapters.refer, w.ports, account, "Pat", typed)[1]

        self._run(f"the {actor} refers {typed}", actor, action, compare_calls=True)

    def _listings(self, w: World) -> dict:
        """What each signed-in actor's Tell-A-Friend list shows (GET /referrals)."""
        shown = {}
        for actor in ACTORS:
            account, _ = self._signed_in(w, actor)
            if account is not None:
                shown[actor] = answer_text(adapters.referrals_of(w.ports, account))
        return shown

    # -- rules: the contest ----------------------------------------------------------------------
    @rule(actor=actors, address=addresses, spelling=st.sampled_from(("as typed", "+tag", "capitals")))
    def enter_contest(self, actor, address, spelling):
        """POST /surveys/{id}/responses: a contest entry for any address, in one of its spellings."""
        local, _, domain = address.partition("@")
        typed = {"as typed": address, "+tag": f"{local}+win@{domain}", "capitals": address.upper()}[spelling]

        def action(w: World) -> str:
            result, text = outcome_of(adapters.enter_contest, w.ports, w.contest_id, typed)
            return text if isinstance(result, DomainError) else "201 (an id)"

        self._run(f"the {actor} enters the contest as {typed}", actor, action, compare_calls=True)

    @precondition(lambda self: any(w.contest_links(a) for w in self.worlds for a in ACTORS))
    @rule(actor=actors, pick=link_pick, name=name_pick)
    def confirm_contest_entry(self, actor, pick, name):
        """The confirmation page of a contest entry, from a link in the actor's mailbox."""

        def action(w: World) -> str:
            links = w.contest_links(actor)
            if not links:
                return "no contest link"
            received, token = links[pick % len(links)]
            w.tried[actor].add(token)
            result, text = outcome_of(adapters.confirm_contest_entry, w.ports, w.contest_id, token,
                                      NAMES[actor][name])
            if not isinstance(result, DomainError):
                w.tickets[canonical_mailbox(received.address)] += 1
                return f"the link mailed to {received.address}: confirmed"
            return f"the link mailed to {received.address}: {text}"

        self._run(f"the {actor} confirms a contest entry (pick {pick})", actor, action)

    @rule(actor=actors, address=addresses)
    def forget_friend(self, actor, address):
        """POST /friends/forget for any address (anyone may: P09)."""

        def action(w: World) -> str:
            w.forgotten_at.setdefault(canonical_mailbox(address), self.step)
            before = self._listings(w)
            text = outcome_of(adapters.forget_friend, w.ports, address)[1]
            if self._listings(w) != before:
                w.facts.erasure_seen.append(f"[{w.name}] step {self.step}: a referrer's listing changed when "
                                            f"{address} was forgotten")
            return text

        self._run(f"the {actor} asks to forget {address}", actor, action, compare_calls=True)

    # -- rules: the shop ------------------------------------------------------------------------
    @rule(actor=signed_in, key=st.sampled_from(KEYS), add=st.none() | st.sampled_from(SKUS))
    def checkout(self, actor, key, add):
        """POST /checkout of the cart with an Idempotency-Key (a retry reuses it), after
        putting a card in the cart (POST /cart/items) or not."""

        def action(w: World) -> str:
            answers = []
            if add is not None:
                result, text = outcome_of(adapters.add_to_cart, w.ports, w.carts[actor], add, 1)
                if not isinstance(result, DomainError):
                    w.carts[actor] = result[0]
                    text = answer_text(result[1])
                answers.append(f"cart: {text}")
            account, refused = self._signed_in(w, actor)
            if account is None:
                return "; ".join([*answers, refused])
            result, text = outcome_of(adapters.checkout_cart, w.ports, account, w.carts[actor], key)
            now = w.clock.now()
            exact = text if isinstance(result, DomainError) else result.model_dump_json()
            first = w.checkouts.get((account.account_id, key))
            if first is not None and now - first[0] < IDEMPOTENCY_WINDOW_SECONDS and exact != first[1]:
                w.facts.checkout_mismatches.append(
                    f"[{w.name}] step {self.step}: key {key!r} answered {exact} after {first[1]} "
                    f"{int(now - first[0])} s before")
            elif first is None and not isinstance(result, DomainError):
                w.checkouts[(account.account_id, key)] = (now, exact)
            return "; ".join([*answers, f"checkout: {text}"])

        self._run(f"the {actor} " + (f"adds a {add} to the cart and " if add else "") +
                  f"checks out the cart with Idempotency-Key {key!r}", actor, action)

    # -- rules: operators, the clock, the world --------------------------------------------------
    @rule(topic=st.sampled_from(ALL_TOPICS))
    def send_campaign(self, topic):
        """ops_send_campaign."""

        def action(w: World) -> str:
            return outcome_of(adapters.send_campaign, w.ports, topic, f"Our {topic}", f"This is the {topic}.")[1]

        self._run(f"the operator sends a {topic} campaign", None, action)

    @precondition(lambda self: not self.drawn and any(w.tickets for w in self.worlds))
    @rule()
    def draw_contest(self):
        """The contest closes (a year on: sessions and links expire too) and the operator draws
        it, every confirmed entry a winner; each winner's mail goes to the entry's address."""
        self.drawn = True

        def action(w: World) -> str:
            w.clock.at = max(w.clock.now(), adapters.contest_closes_at(w.ports, w.contest_id) + 1)
            result, text = outcome_of(adapters.draw_contest, w.ports, w.contest_id)
            return text if isinstance(result, DomainError) else f"{len(result['winners'])} winners"

        self._run("the contest closes and the operator draws it", None, action)

    @rule(minutes=st.sampled_from(MINUTES))
    def time_passes(self, minutes):
        def action(w: World) -> str:
            w.clock.advance(minutes * 60)
            return "ok"

        self._run(f"{minutes} minutes pass", None, action)

    @precondition(lambda self: any(all(w.recyclable(a) for w in self.worlds) for a in OWNER_ADDRESSES))
    @rule()
    def recycle_address(self):
        """The owner moved their account away from an address; its provider gives it to the
        stranger, who (worst case) reads every mail ever sent to it."""
        address = next(a for a in OWNER_ADDRESSES if all(w.recyclable(a) for w in self.worlds))

        def action(w: World) -> str:
            history = w.recycle(address, self.step)
            return f"with {len(history)} old mails: " + ", ".join(template_of(r.mail) for r in history)

        self._run(f"the stranger comes to hold {address}", STRANGER, action)

    # -- invariants: checked after every step (by _run), each raising from its own line ------------
    def p04_p28_sessions_only_for_the_address_holder(self):
        """P04/P28: only the holder of an account's current address obtains or keeps a
        session on it; a closed account has none."""
        name = "p04_p28_sessions_only_for_the_address_holder"
        violations, facts = [], 0
        for w in self.worlds:
            violations += w.facts.sessions_obtained
            for actor, cookie in w.cookies.items():
                if cookie is None:
                    continue
                facts += 1
                try:
                    account = adapters.signed_in_account(w.ports, cookie)
                except DomainError:
                    continue  # ended, expired or the account closed: no session
                holder = w.holder(account.email)
                if holder != actor:
                    violations.append(f"[{w.name}] after step {self.step}: the {actor} holds a live session on "
                                      f"the account at {account.email}, which the {holder} holds")
        counted(name, facts)
        assert not violations, f"{name}: " + "; ".join(dict.fromkeys(violations))

    def p02_p03_p12_promotions_only_with_the_holders_consent(self):
        """P02/P03/P12: every promotional mail goes to an address whose holder turned its
        topic on by their own action (the confirm page's Continue or Email Preferences while
        signed in), and has not turned it off since (an unsubscribe link, one-click, the
        contact form); it carries a working one-click unsubscribe link."""
        name = "p02_p03_p12_promotions_only_with_the_holders_consent"
        violations, facts = [], 0
        for w in self.worlds:
            for step, _, mail in w.facts.new_mail:
                if mail.kind != "promotional":
                    continue
                facts += 1
                header = mail.headers.get("List-Unsubscribe", "")
                if mail.headers.get("List-Unsubscribe-Post") != "List-Unsubscribe=One-Click" or "/unsubscribe/" not in header:
                    violations.append(f"[{w.name}] step {step}: a promotional mail to {mail.to} without one-click")
                    continue
                try:
                    link = adapters.read_unsubscribe_link(w.ports, header.strip("<>").rsplit("/", 1)[1])
                except DomainError as error:
                    violations.append(f"[{w.name}] step {step}: a promotional mail to {mail.to} whose "
                                      f"unsubscribe link does not work ({error.code})")
                    continue
                holder = w.holder(mail.to)
                for topic in link.topics:
                    by = w.consent.get(link.account_id, {}).get(topic)
                    if by is None or (holder != STRANGER and by != holder):
                        violations.append(
                            f"[{w.name}] step {step}: a {topic} mail to {mail.to} (held by the {holder}) "
                            + ("whose topic nobody turned on" if by is None else f"that the {by} turned on"))
        counted(name, facts)
        assert not violations, f"{name}: " + "; ".join(dict.fromkeys(violations))

    def p02_topics_on_only_by_the_holders_own_action(self):
        """P02, before any campaign: every topic switched on for an active account was
        switched on by the holder of the account's address, by their own action (the state
        from which the next campaign would send promotions nobody there chose)."""
        name = "p02_topics_on_only_by_the_holders_own_action"
        violations, facts = [], 0
        for w in self.worlds:
            for account_id in w.once_at:
                account = w.account(account_id)
                if account is None or account.status != "active":
                    continue
                preferences = w.ports.accounts.preferences(account_id)
                holder = w.holder(account.email)
                for topic, on in (preferences.topics if preferences else {}).items():
                    if not on:
                        continue
                    facts += 1
                    by = w.consent.get(account_id, {}).get(topic)
                    if by is None or (holder != STRANGER and by != holder):
                        violations.append(
                            f"[{w.name}] after step {self.step}: {topic} is on for the account at {account.email} "
                            f"(held by the {holder}), " + ("turned on by nobody's own action" if by is None
                                                          else f"turned on by the {by}"))
        counted(name, facts)
        assert not violations, f"{name}: " + "; ".join(dict.fromkeys(violations))

    def p02_p04_no_stranger_text_reaches_the_owner(self):
        """P02/P04: nothing the stranger typed (a name at signup or on their account)
        reaches the owner's mailbox or the owner's account page."""
        name = "p02_p04_no_stranger_text_reaches_the_owner"
        violations, facts = [], 0
        for w in self.worlds:
            for step, _, mail in w.facts.new_mail:
                if w.holder(mail.to) != OWNER:
                    continue
                facts += 1
                for text in STRANGER_TEXT:
                    if text in mail.text or text in mail.html or text in mail.subject:
                        violations.append(f"[{w.name}] step {step}: the owner's mail {mail.subject!r} to {mail.to} "
                                          f"says {text!r}")
            if w.cookies[OWNER] is not None:
                try:
                    account = adapters.signed_in_account(w.ports, w.cookies[OWNER])
                except DomainError:
                    account = None
                if account is not None:
                    facts += 1
                    page = answer_text(adapters.view_account(w.ports, account))
                    violations += [f"[{w.name}] after step {self.step}: the owner's account page says {text!r}"
                                   for text in STRANGER_TEXT if text in page]
        counted(name, facts)
        assert not violations, f"{name}: " + "; ".join(dict.fromkeys(violations))

    def p07_unproven_mail_capped_per_mailbox_hour(self):
        """P07 (no mail an address did not ask for) as API.md bounds it: per mailbox and
        hour, at most UNPROVEN_MAILS_PER_HOUR mails to an address that has not proven itself
        (confirm, sign-in, address change, invitation, signup again)."""
        name = "p07_unproven_mail_capped_per_mailbox_hour"
        violations, facts = [], 0
        for w in self.worlds:
            for step, hour, mail in w.facts.new_mail:
                if template_of(mail) not in UNSOLICITED_TEMPLATES:
                    continue
                facts += 1
                count = w.unsolicited[(mail.to.lower(), hour)]
                if count > UNPROVEN_MAILS_PER_HOUR:
                    violations.append(f"[{w.name}] step {step}: {count} unsolicited mails to {mail.to} within "
                                      f"one hour (cap {UNPROVEN_MAILS_PER_HOUR}), the last a {template_of(mail)}")
        counted(name, facts)
        assert not violations, f"{name}: " + "; ".join(dict.fromkeys(violations))

    def p06_p09_one_invitation_per_mailbox_and_none_after_forget_me(self):
        """P06/P09: a mailbox gets at most one invitation ever, whoever refers it in whatever
        spelling, and none once forget-me was asked for it."""
        name = "p06_p09_one_invitation_per_mailbox_and_none_after_forget_me"
        violations, facts = [], 0
        for w in self.worlds:
            for step, _, mail in w.facts.new_mail:
                if mail.kind != "invitation":
                    continue
                facts += 1
                mailbox = canonical_mailbox(mail.to)
                if w.invited[mailbox] > 1:
                    violations.append(f"[{w.name}] step {step}: invitation number {w.invited[mailbox]} to {mailbox}")
                forgotten = w.forgotten_at.get(mailbox)
                if forgotten is not None and forgotten < step:
                    violations.append(f"[{w.name}] step {step}: an invitation to {mailbox}, forgotten at step "
                                      f"{forgotten}")
        counted(name, facts)
        assert not violations, f"{name}: " + "; ".join(dict.fromkeys(violations))

    def p09_erasure_unseen_and_nothing_kept(self):
        """P09: a friend's erasure changes nothing a referrer sees, and no friend data about a
        forgotten mailbox is kept (a later referral stores only the keyed hash)."""
        name = "p09_erasure_unseen_and_nothing_kept"
        violations, facts = [], 0
        for w in self.worlds:
            violations += w.facts.erasure_seen
            for mailbox in w.forgotten_at:
                facts += 1
                if adapters.friend_address_held(w.ports, mailbox):
                    violations.append(f"[{w.name}] after step {self.step}: friend data about the forgotten {mailbox}")
        counted(name, facts)
        assert not violations, f"{name}: " + "; ".join(dict.fromkeys(violations))

    def p15_one_draw_ticket_per_mailbox(self):
        """P15: one confirmed entry per mailbox per contest, whatever spellings entered."""
        name = "p15_one_draw_ticket_per_mailbox"
        violations = [f"[{w.name}] after step {self.step}: {mailbox} holds {count} confirmed entries"
                      for w in self.worlds for mailbox, count in w.tickets.items() if count > 1]
        counted(name, sum(len(w.tickets) for w in self.worlds))
        assert not violations, f"{name}: " + "; ".join(violations)

    def p07_p14_no_typed_text_to_an_unproven_address(self):
        """P07/P14: a mail to an address with no active account (not proven) carries no text
        anyone typed: at most a referrer's first name, never a whole name."""
        name = "p07_p14_no_typed_text_to_an_unproven_address"
        violations, facts = [], 0
        typed = [text for names in NAMES.values() for text in names]
        for w in self.worlds:
            for step, _, mail in w.facts.new_mail:
                account_id = w.account_id_at(mail.to)
                account = w.account(account_id) if account_id else None
                if account is not None and account.status == "active" or template_of(mail) == "email_changed_notice":
                    continue  # a proven address (the notice goes to the address the account just left)
                facts += 1
                violations += [f"[{w.name}] step {step}: a {template_of(mail)} mail to the unproven {mail.to} says "
                               f"{text!r}" for text in typed if text in mail.text or text in mail.html]
        counted(name, facts)
        assert not violations, f"{name}: " + "; ".join(dict.fromkeys(violations))

    def p17_same_checkout_key_same_answer(self):
        """P17 (checkout, API.md's Idempotency-Key): within the idempotency window the same
        key gets the same answer, whatever happened to the cart in between."""
        name = "p17_same_checkout_key_same_answer"
        violations = [v for w in self.worlds for v in w.facts.checkout_mismatches]
        counted(name, sum(len(w.checkouts) for w in self.worlds))
        assert not violations, f"{name}: " + "; ".join(violations)

    def p28_nothing_reaches_a_closed_account_and_it_gains_no_referral(self):
        """P28: after an account is closed, no mail of any kind reaches its address (whoever
        queued it, however the sender found the address), it gains no conversion when a
        friend it invited joins, and the referral report leaves it out."""
        name = "p28_nothing_reaches_a_closed_account_and_it_gains_no_referral"
        violations, facts = [], 0
        for w in self.worlds:
            if not w.closed:
                continue
            at = {address: (account_id, step) for account_id, (step, address, _) in w.closed.items()}
            for step, _, mail in w.facts.new_mail:
                facts += 1
                closed = at.get(mail.to.lower())
                if closed is not None and step >= closed[1]:
                    violations.append(f"[{w.name}] step {step}: a {template_of(mail)} mail to {mail.to}, whose "
                                      f"account was closed at step {closed[1]}")
            reported = {row["referrer_id"] for row in adapters.referral_report(w.ports)["referrers"]}
            for account_id, (step, address, joined) in w.closed.items():
                facts += 1
                if account_id in reported:
                    violations.append(f"[{w.name}] after step {self.step}: the referral report lists the account "
                                      f"closed at step {step}")
                if adapters.referrer_joined(w.ports, account_id) != joined:
                    violations.append(f"[{w.name}] after step {self.step}: the account at {address}, closed at "
                                      f"step {step}, gained a conversion")
        counted(name, facts)
        assert not violations, f"{name}: " + "; ".join(dict.fromkeys(violations))

    def oracle_p04_stranger_sees_the_same_in_both_worlds(self):
        """oracle (P04, API.md: no account enumeration): the stranger's answers, link
        outcomes and mail are the same whether or not X has an account."""
        name = "oracle_p04_stranger_sees_the_same_in_both_worlds"
        counted(name, 1 if self.step else 0)
        assert not self.oracle_answers, f"{name}: " + "; ".join(self.oracle_answers)

    def oracle_p04_p06_p09_calls_the_same_in_both_worlds(self):
        """oracle (P04, P06, P09): every rule of the stranger's that takes an address (signup,
        sign-in, address change, the contact form, a referral, forget-me, a contest entry) makes the same table
        calls, by name and a transaction's operation count, whether or not X has an account."""
        name = "oracle_p04_p06_p09_calls_the_same_in_both_worlds"
        counted(name, 1 if self.step else 0)
        assert not self.oracle_calls, f"{name}: " + "; ".join(self.oracle_calls)


def test_p02_p03_p04_p06_p07_p09_p12_p14_p15_p17_p28_adversary_model(record_property):
    """A stranger against an owner over the real use cases, in two worlds. After every step:
    P04/P28 only the holder of an account's address has a session on it; P02/P03/P12
    promotional mail only with the holder's own consent, stoppable by one click; P02/P04 no
    text the stranger typed reaches the owner; P07 unproven mail capped per mailbox hour;
    P06/P09 one invitation per mailbox ever, none after forget-me; P15 one draw ticket per
    mailbox; P07/P14 no typed text to an unproven address; P17 the same checkout key
    gets the same answer; P28 no mail reaches a closed account's address, and it gains no
    referral and leaves the report; oracle (P04, P06, P09): what the stranger sees, and the calls of
    every rule of theirs that takes an address, do not depend on whether X has an account."""
    unknown = [part for part in ONLY if not any(part in name for name in INVARIANTS)]
    assert not unknown, f"ADVERSARY_ONLY names no invariant: {unknown}; known: {sorted(INVARIANTS)}"
    INVARIANT_CHECKS.clear()
    INVARIANT_FACTS.clear()
    try:
        run_state_machine_as_test(AdversaryModel, settings=SETTINGS)
    finally:
        report = invariant_report()
        record_property("adversary_invariants", report)
        print("\ninvariant: steps checked, facts checked")
        for name, row in report.items():
            print(f"  {name} ({', '.join(row['promises'])}): {row['steps_checked']} steps, {row['facts_checked']} facts"
                  + ("" if row["enabled"] else " (not selected)"))
