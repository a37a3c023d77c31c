"""Figure 6: does any endpoint that takes an address tell, by its answer time or its calls,
a known address from a new one?

Every endpoint that takes an address from an anonymous or a signed-in caller answers the
same whatever the address; neither its time nor its AWS calls may tell either. For each,
each kind of known address (ENDPOINTS) is compared with a fresh address nobody ever gave:

- POST /signup {email}: pending, active, deactivated accounts;
- POST /login {email}: active, pending, deactivated accounts;
- POST /contact {email, topic: "unsubscribe"}: an active account (its topics on, so the
  write succeeds where a new address's condition fails);
- POST /contact {email, topic: "forget_friend"} and {topic: "question", message}: an
  active account, a referred address;
- POST /referrals {friend_name, friend_email}, signed in: a customer's address, an address
  another customer referred, a forgotten address;
- POST /friends/forget {email}: a referred address, a forgotten one, a customer's;
- PATCH /account {email}, signed in: another customer's address (taken).

Through the same path as figure 3 (chalice.test.Client, the app's boto3 session, the
emulator in this process), `ROUNDS` rounds each make every request of the table once, the
endpoints in an order that turns by one every round and, within each, the kinds in an order
that turns by one too; each request is timed alone (time.perf_counter around the client's
call, no garbage collection inside) and its AWS calls taken from figure 3's `before-call`
hook, with the number of operations in each DynamoDB transaction from a hook of this
module's own on the DynamoDB client. Warm-up rounds go first and are not counted.

Every address, known or new, is used once per round, so none comes near the store's caps
(5 unproven mails per mailbox an hour, functions/one_time_links.UNPROVEN_MAILS_PER_HOUR; 5
referrals per referrer a day, functions/referrals.DAILY_CAP; 3 address changes per account
an hour, functions/email_change.CHANGE_REQUESTS_PER_HOUR): each round has its own signed-in
caller (4 referrals and 2 address changes, of which only the new address's counts) and its
own known addresses, except where the request leaves the address as it was (a question, a
referral or an address change to an address that is a customer's, already referred or
forgotten, and forgetting a forgotten one), where two endpoints share one.

Setup, not measured, through the app's own routes: the accounts sign up (POST /signup);
each active account's confirm link, minted as the outbox mints the welcome mail's when it
sends it (functions.one_time_links.mint; no mail is sent, which would take most of the
setup's time), is pressed as our own page posts it (POST /login/{token}: the session cookie
it sets signs the caller and the referrer in; the unsubscribe's account ticks both topics
there); deactivated accounts post POST /account/deactivate; a referrer of each round
refers the referred and the forgotten addresses (POST /referrals), and the forgotten ones
are then forgotten (POST /friends/forget). Each address's kind is then checked in the
store: an account's status (and the subscribed account's topics), the referrer's count of
invitations sent (the operators' referral report), the forget markers.

Reported: for each endpoint and kind, the medians and the ratio known / new, the median of
the rounds' ratios (goal: every ratio within RATIO_GOAL of 1). In a round the two requests
are milliseconds apart, so a slow spell of the machine falls on both: over three runs on a
loaded 2-core machine, of 27 comparisons whose requests did exactly the same (calls and the
transactions' ends), 13 ratios of the medians fell outside the goal and 5 medians of the
rounds' ratios did; the ratio of the medians is printed beside it. For each endpoint: the
calls of every kind (goal: the same operations, with the same operation counts in each
transaction, in the same order, for every request); whether every round's answers were the
same status and body; and whether the transactions ended alike (each committed, or was
cancelled by a failed condition, for every kind: the emulator answers a cancelled
transaction sooner, having written nothing). In the details, each kind's spread, calls,
transactions' ends and the emulator's time in them.
"""
from __future__ import annotations

import contextlib
import gc
import io
import json
import statistics
import time
from dataclasses import dataclass, field
from typing import Callable

from bench.address_setup import (ACTIVE, DEACTIVATED, PENDING, REFERRED, Round, _address, _checked,
                                  _set_up)
from bench.aws_calls import CallLog
from bench.transactions_seen import EmulatorTransactions, TransactionSizes

ROUNDS = 20
WARMUPS = 2
RATIO_GOAL = 0.15  # |known / new - 1|
NEW = "new"
QUESTION = "Do you sell cards for Peru?"


@dataclass(frozen=True)
class Endpoint:
    label: str  # the report's rows
    method: str
    path: str
    known: tuple[str, ...]  # the kinds of known address compared with a new one
    status: int  # the answer every request must get
    body: Callable[[str], dict]  # the request's JSON body for an address
    signed_in: bool = False


ENDPOINTS = (
    Endpoint("signup", "POST", "/signup", ("pending", "active", "deactivated"), 202,
             lambda a: {"email": a, "name": "Bench Caller", "promotions": True}),
    Endpoint("login", "POST", "/login", ("active", "pending", "deactivated"), 202, lambda a: {"email": a}),
    Endpoint("contact unsubscribe", "POST", "/contact", ("active",), 202,
             lambda a: {"email": a, "topic": "unsubscribe"}),
    Endpoint("contact forget_friend", "POST", "/contact", ("active", "referred"), 202,
             lambda a: {"email": a, "topic": "forget_friend"}),
    Endpoint("contact question", "POST", "/contact", ("active", "referred"), 202,
             lambda a: {"email": a, "topic": "question", "message": QUESTION}),
    Endpoint("referrals", "POST", "/referrals", ("customer", "referred", "forgotten"), 202,
             lambda a: {"friend_name": "Sam", "friend_email": a}, signed_in=True),
    Endpoint("friends/forget", "POST", "/friends/forget", ("referred", "forgotten", "customer"), 202,
             lambda a: {"email": a}),
    Endpoint("PATCH /account", "PATCH", "/account", ("taken",), 200, lambda a: {"email": a}, signed_in=True),
)

# The address each (endpoint, kind) is given in a round: a role of that round's setup.
# Roles used by two endpoints are left as they were by both requests (see the docstring).
ROLES = {
    ("signup", "pending"): "signup.pending",
    ("signup", "active"): "signup.active",
    ("signup", "deactivated"): "signup.deactivated",
    ("login", "active"): "login.active",
    ("login", "pending"): "login.pending",
    ("login", "deactivated"): "login.deactivated",
    ("contact unsubscribe", "active"): "unsubscribe.subscribed",
    ("contact forget_friend", "active"): "forget_friend.active",
    ("contact forget_friend", "referred"): "forget_friend.referred",
    ("contact question", "active"): "customer",
    ("contact question", "referred"): "referred",
    ("referrals", "customer"): "customer",
    ("referrals", "referred"): "referred",
    ("referrals", "forgotten"): "forgotten",
    ("friends/forget", "referred"): "forget.referred",
    ("friends/forget", "forgotten"): "forgotten",
    ("friends/forget", "customer"): "forget.customer",
    ("PATCH /account", "taken"): "customer",
}


@dataclass
class Requests:
    """One endpoint and kind of address: the time of each of its requests, the calls each made."""

    times_ms: list[float] = field(default_factory=list)
    calls: list[tuple[str, ...]] = field(default_factory=list)
    outcomes: list[tuple[str, ...]] = field(default_factory=list)  # each transaction committed or cancelled
    emulator_ms: list[float] = field(default_factory=list)  # the emulator's time in the transactions

    @property
    def median_ms(self) -> float:
        return statistics.median(self.times_ms)

    @property
    def one_call_list(self) -> tuple[str, ...] | None:
        """The calls every request made, or None when they were not all alike."""
        distinct = set(self.calls)
        return next(iter(distinct)) if len(distinct) == 1 else None


@dataclass
class EndpointTiming:
    endpoint: Endpoint
    paths: dict[str, Requests]  # NEW and each known kind
    answers_alike: bool = True  # every round: the same status and body for every kind

    def ratio(self, kind: str) -> float:
        """The median of the rounds' known / new: in a round the two requests are
        milliseconds apart, so a slow spell of the machine falls on both."""
        known, new = self.paths[kind].times_ms, self.paths[NEW].times_ms
        return statistics.median(k / n for k, n in zip(known, new))

    def medians_ratio(self, kind: str) -> float:
        return self.paths[kind].median_ms / self.paths[NEW].median_ms

    def within_goal(self, kind: str) -> bool:
        return abs(self.ratio(kind) - 1) <= RATIO_GOAL

    @property
    def same_calls(self) -> bool:
        lists = {path.one_call_list for path in self.paths.values()}
        return len(lists) == 1 and None not in lists

    @property
    def same_outcomes(self) -> bool:
        """Every transaction of every request committed, or was cancelled, alike."""
        return len({o for path in self.paths.values() for o in path.outcomes}) == 1


@dataclass
class AddressTiming:
    endpoints: list[EndpointTiming]
    rounds: int
    warmups: int

    @property
    def comparisons(self) -> list[tuple[EndpointTiming, str]]:
        return [(e, kind) for e in self.endpoints for kind in e.endpoint.known]

    @property
    def all_within_goal(self) -> bool:
        return all(e.within_goal(kind) for e, kind in self.comparisons)

    @property
    def all_same_calls(self) -> bool:
        return all(e.same_calls for e in self.endpoints)

    @property
    def all_answers_alike(self) -> bool:
        return all(e.answers_alike for e in self.endpoints)


def measure(log: CallLog, rounds: int = ROUNDS, warmups: int = WARMUPS, progress=lambda _m: None) -> AddressTiming:
    """Needs the emulator started and `log` installed (bench.aws_calls.install_call_log)."""
    from chalice.test import Client

    import app
    from bench.environment import ROOT

    results = [EndpointTiming(e, {kind: Requests() for kind in (NEW, *e.known)}) for e in ENDPOINTS]
    with Client(app.app, stage_name="local", project_dir=str(ROOT)) as client:
        progress(f"address timing: setting up {rounds + warmups} rounds of known addresses "
                 f"({len(PENDING + DEACTIVATED + ACTIVE)} accounts, {len(REFERRED)} referred addresses each) ...")
        with contextlib.redirect_stdout(io.StringIO()):  # the sweeper's metric lines would mix with the table
            setups = _set_up(client, rounds + warmups, progress)
        count = sum(len(e.paths) for e in results)
        progress(f"address timing: {warmups} warm-up and {rounds} measured rounds of {count} requests, interleaved ...")
        with TransactionSizes().registered() as sizes, EmulatorTransactions().watching() as emulator:
            for n, setup in enumerate(setups):
                turned = results[n % len(results):] + results[:n % len(results)]  # each endpoint leads in turn
                for timing in turned:
                    _one_round(client, log, sizes, emulator, timing, setup, n, counted=n >= warmups)
    return AddressTiming(results, rounds, warmups)


def _one_round(client, log: CallLog, sizes: TransactionSizes, emulator: EmulatorTransactions,
               timing: EndpointTiming, setup: Round, n: int, counted: bool) -> None:
    endpoint = timing.endpoint
    kinds = (NEW, *endpoint.known)
    order = kinds[n % len(kinds):] + kinds[:n % len(kinds)]  # each kind leads in turn
    answers = set()
    for kind in order:
        address = _address(NEW) if kind == NEW else setup.addresses[ROLES[endpoint.label, kind]]
        body = json.dumps(endpoint.body(address)).encode()
        headers = {"Content-Type": "application/json", **({"Cookie": setup.cookie} if endpoint.signed_in else {})}
        log.reset()
        sizes.sizes = []
        emulator.reset()
        gc.collect()  # no collection inside the timed request (as timeit does it)
        gc.disable()
        try:
            started = time.perf_counter()
            answer = client.http.request(endpoint.method, endpoint.path, headers=headers, body=body)
            elapsed_ms = (time.perf_counter() - started) * 1000
        finally:
            gc.enable()
        calls, _sends = log.snapshot()
        _checked(answer, endpoint.status, f"{endpoint.label} ({kind})")
        if not counted:
            continue
        path = timing.paths[kind]
        path.times_ms.append(elapsed_ms)
        path.calls.append(sizes.named(calls))
        path.outcomes.append(tuple(emulator.outcomes))
        path.emulator_ms.append(emulator.ms)
        answers.add((answer.status_code, answer.body))
    if counted and len(answers) != 1:
        timing.answers_alike = False


# -- the report ------------------------------------------------------------------------------------


def _calls_text(calls: tuple[str, ...]) -> str:
    return f"{len(calls)} [{', '.join(c.removeprefix('dynamodb.') for c in calls) or 'none'}]"


def report(timing: AddressTiming, row: Callable[[str, str], None], headline: bool = True, details: bool = True) -> None:
    """The headline (a summary, a row per endpoint and kind, a calls row per endpoint) and/or
    the details (each kind's calls and spread)."""
    if headline:
        worst = max(timing.comparisons, key=lambda c: abs(c[0].ratio(c[1]) - 1))
        row("addresses, known vs new",
            f"{len(timing.endpoints)} endpoints, {len(timing.comparisons)} kinds of known address: every ratio "
            f"within {RATIO_GOAL:g} of 1: {'met' if timing.all_within_goal else 'NOT met'} (furthest: "
            f"{worst[0].endpoint.label} {worst[1]} {worst[0].ratio(worst[1]):.2f}); the same calls: "
            f"{'met' if timing.all_same_calls else 'NOT met'}; the same answer: "
            f"{'yes' if timing.all_answers_alike else 'NO'} (medians of {timing.rounds} interleaved rounds)")
        for e in timing.endpoints:
            new = e.paths[NEW]
            for kind in e.endpoint.known:
                ratio = e.ratio(kind)
                row(f"{e.endpoint.label}, {kind} vs new",
                    f"known {e.paths[kind].median_ms:6.1f} ms  new {new.median_ms:6.1f} ms  ratio {ratio:.2f} "
                    f"(goal |ratio - 1| <= {RATIO_GOAL:g}: {'met' if e.within_goal(kind) else 'NOT met'}; "
                    f"of the medians {e.medians_ratio(kind):.2f})")
            one = new.one_call_list
            if e.same_calls and one is not None:
                calls = f"{_calls_text(one)} for every kind"
            else:
                calls = "; ".join(f"{kind} " + (_calls_text(p.one_call_list) if p.one_call_list is not None
                                                 else "NOT the same in every request") for kind, p in e.paths.items())
            row(f"{e.endpoint.label}, calls",
                f"{calls} (goal: the same calls: {'met' if e.same_calls else 'NOT met'}; "
                f"same answer: {'yes' if e.answers_alike else 'NO'}; transactions ended alike: "
                f"{'yes' if e.same_outcomes else 'no'})")
    if not details:
        return
    for e in timing.endpoints:
        for kind, path in e.paths.items():
            times = sorted(path.times_ms)
            distinct = sorted(set(path.calls))
            calls = (_calls_text(distinct[0]) if len(distinct) == 1
                     else "NOT the same in every request: " + " | ".join(_calls_text(c) for c in distinct))
            outcomes = sorted(set(path.outcomes))
            ended = " | ".join(", ".join(o) or "none" for o in outcomes)
            row(f"{e.endpoint.label} ({kind})",
                f"{times[0]:.1f}..{times[-1]:.1f} ms; {calls}; transactions {ended}"
                + (f" (emulator's time in them {statistics.median(path.emulator_ms):.1f} ms)" if any(outcomes) else ""))


def run_alone(progress: Callable[[str], None], width: int) -> None:
    """`python -m bench --addresses-only`: the emulator, figure 3's call hook, then this figure."""
    import sys

    from bench import aws_calls
    from local_stage import emulator

    progress("starting the emulator (moto on 127.0.0.1) and provisioning the local stage ...")
    stage = emulator.start("local")
    try:
        log = aws_calls.install_call_log()
        import app

        app.logger.registered_handler.setStream(io.StringIO())  # the app's JSON log lines would mix with the table
        timing = measure(log, progress=progress)
    finally:
        stage.stop()
    print()
    print(f"calling-card-store benchmark, addresses only ({sys.platform}, Python {sys.version.split()[0]})")
    report(timing, lambda label, text: print(f"  {label:<{width}}{text}"))
    print()
