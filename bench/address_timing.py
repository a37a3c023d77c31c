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
import uuid
from dataclasses import dataclass, field
from typing import Callable

from bench.aws_calls import CallLog

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
# Each round's accounts, by the status they are left in; the caller signs in to refer and to
# change its address, the referrer refers the round's referred and forgotten addresses.
PENDING = ("signup.pending", "login.pending")
DEACTIVATED = ("signup.deactivated", "login.deactivated")
ACTIVE = ("signup.active", "login.active", "unsubscribe.subscribed", "forget_friend.active", "customer",
          "forget.customer", "caller", "referrer")
SUBSCRIBED = ("unsubscribe.subscribed",)
REFERRED = ("forget_friend.referred", "referred", "forget.referred", "forgotten")
FORGOTTEN = ("forgotten",)


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


class TransactionSizes:
    """Before each DynamoDB transaction, how many operations it holds, in order. Registered on
    the app's DynamoDB client itself: figure 3's hook sits on the session, whose handlers a
    client copies when it is made, and in the full run the client already exists."""

    def __init__(self) -> None:
        self.sizes: list[int] = []

    def on_call(self, model=None, params=None, **_kwargs) -> None:
        if model.name in ("TransactWriteItems", "TransactGetItems"):
            try:
                body = params["body"]
                self.sizes.append(len(json.loads(body.decode() if isinstance(body, bytes) else body)["TransactItems"]))
            except (KeyError, TypeError, ValueError, AttributeError):
                self.sizes.append(-1)

    def named(self, calls: list[str]) -> tuple[str, ...]:
        """The log's calls, each transaction with its operation count: TransactWriteItems(3)."""
        sizes = iter(self.sizes)
        return tuple(f"{c}({next(sizes, '?')})" if c.endswith(("TransactWriteItems", "TransactGetItems")) else c
                     for c in calls)

    @contextlib.contextmanager
    def registered(self):
        from shared import aws

        events = aws.client("dynamodb").meta.events
        events.register("before-call.dynamodb", self.on_call)
        try:
            yield self
        finally:
            events.unregister("before-call.dynamodb", self.on_call)


class EmulatorTransactions:
    """How each DynamoDB transaction ended in the emulator (this process's moto, behind
    local_stage.moto_patches), and the time it took there: a transaction whose condition
    fails writes nothing and returns sooner than one that commits, so two requests that make
    the same calls may still differ in time by what their transactions did."""

    def __init__(self) -> None:
        self.outcomes: list[str] = []
        self.ms = 0.0

    def reset(self) -> None:
        self.outcomes, self.ms = [], 0.0

    @contextlib.contextmanager
    def watching(self):
        from moto.dynamodb.models import DynamoDBBackend

        original = DynamoDBBackend.transact_write_items
        watcher = self

        def transact_write_items(backend, *args, **kwargs):
            started, outcome = time.perf_counter(), "cancelled"
            try:
                result = original(backend, *args, **kwargs)
                outcome = "committed"
                return result
            finally:
                watcher.ms += (time.perf_counter() - started) * 1000
                watcher.outcomes.append(outcome)

        setattr(DynamoDBBackend, "transact_write_items", transact_write_items)
        try:
            yield self
        finally:
            setattr(DynamoDBBackend, "transact_write_items", original)


def _address(role: str) -> str:
    return f"bench.addr.{role.replace('/', '-')}.{uuid.uuid4().hex[:10]}@example.org"


def _json(client, method: str, path: str, body: dict, cookie: str | None = None):
    headers = {"Content-Type": "application/json", **({"Cookie": cookie} if cookie else {})}
    return client.http.request(method, path, headers=headers, body=json.dumps(body).encode())


def _checked(answer, status: int, what: str):
    if answer.status_code != status:
        raise RuntimeError(f"{what}: status {answer.status_code}, expected {status}: {answer.body[:500]!r}")
    return answer


# -- setup, not measured -----------------------------------------------------------------------


@dataclass
class Round:
    """One round's known addresses by role, and its caller's session cookie."""

    addresses: dict[str, str]
    cookie: str = ""


def _login_link(address: str) -> str:
    """A confirm link for the pending account at the address, minted as the outbox mints the
    welcome mail's when it sends it: its path."""
    from urllib.parse import urlparse

    from functions.one_time_links import mint
    from shared.ids import address_hash
    from shared.ports import process_ports

    ports = process_ports()
    account_id = ports.accounts.account_id_for(address_hash(address, ports.settings.hash_key()))
    if account_id is None:
        raise RuntimeError("setup: an account the bench signed up is missing")
    return urlparse(mint(account_id, "confirm", ports)).path


def _use_link(client, path: str, topics: tuple[str, ...] = ()) -> str:
    """Press the link on our own page as a browser posts it (ticking `topics`): the session
    cookie it sets, as NAME=VALUE (local_stage.customers.use_sign_in_link, with topics)."""
    from urllib.parse import urlencode

    from shared.ports import process_ports

    used = client.http.post(path, body=urlencode({t: "on" for t in topics}), headers={
        "Content-Type": "application/x-www-form-urlencoded", "Origin": process_ports().settings.base_url})
    cookie = (used.headers.get("Set-Cookie") or "").split(";", 1)[0]
    if used.status_code != 303 or not cookie.startswith("__Host-session="):
        raise RuntimeError(f"sign-in link: status {used.status_code}, cookie {cookie[:20]!r}")
    return cookie


def _set_up(client, count: int, progress) -> list[Round]:
    rounds = [Round({role: _address(role) for role in (*PENDING, *DEACTIVATED, *ACTIVE, *REFERRED)})
              for _ in range(count)]
    started = time.perf_counter()
    for r in rounds:
        for role in (*PENDING, *DEACTIVATED, *ACTIVE):
            _checked(_json(client, "POST", "/signup", {"email": r.addresses[role], "name": "Bench Caller"}), 202,
                     "setup signup")
    for r in rounds:
        cookies = {role: _use_link(client, _login_link(r.addresses[role]), ("newsletter", "promotions")
                                   if role in SUBSCRIBED else ()) for role in (*DEACTIVATED, *ACTIVE)}
        r.cookie = cookies["caller"]
        for role in DEACTIVATED:
            _checked(_json(client, "POST", "/account/deactivate", {}, cookies[role]), 200, "setup deactivation")
        for role in REFERRED:
            _checked(_json(client, "POST", "/referrals", {"friend_name": "Kim", "friend_email": r.addresses[role]},
                           cookies["referrer"]), 202, "setup referral")
        for role in FORGOTTEN:
            _checked(_json(client, "POST", "/friends/forget", {"email": r.addresses[role]}), 202, "setup forget")
    _check_kinds(rounds)
    progress(f"address timing: set up {count} rounds' addresses in {time.perf_counter() - started:.0f} s")
    return rounds


def _check_kinds(rounds: list[Round]) -> None:
    """Each role's address is what its name says, as the store holds it: accounts by their
    status; each round's referrer sent an invitation to every referred address (the
    operators' referral report, counters only); the forget markers."""
    from functions.referrals import report
    from shared.ids import address_hash, mailbox_key
    from shared.ports import process_ports

    ports = process_ports()
    key = ports.settings.hash_key()
    invitations = {r["referrer_id"]: r["invitations"] for r in report(None, ports)["referrers"]}

    def account_of(address: str):
        account_id = ports.accounts.account_id_for(address_hash(address, key))
        return ports.accounts.get(account_id) if account_id else None

    for r in rounds:
        for roles, expected in ((PENDING, "pending"), (DEACTIVATED, "deactivated"), (ACTIVE, "active")):
            for role in roles:
                account = account_of(r.addresses[role])
                status = str(getattr(account.status, "value", account.status)) if account else None
                if status != expected:
                    raise RuntimeError(f"setup: the {role} address's account is {status}, not {expected}")
        for role in SUBSCRIBED:
            stored = ports.accounts.preferences(account_of(r.addresses[role]).account_id)
            if not (stored and all(stored.topics.get(t) for t in ("newsletter", "promotions"))):
                raise RuntimeError(f"setup: the {role} address's topics are not on")
        referrer = account_of(r.addresses["referrer"])
        if invitations.get(referrer.account_id) != len(REFERRED):
            raise RuntimeError(f"setup: the referrer's invitations: {invitations.get(referrer.account_id)}, "
                               f"not {len(REFERRED)}")
        for role in REFERRED:
            if account_of(r.addresses[role]) is not None:
                raise RuntimeError(f"setup: the {role} address has an account")
            if ports.outbox.is_forgotten(mailbox_key(r.addresses[role], key)) != (role in FORGOTTEN):
                raise RuntimeError(f"setup: the {role} address's forget marker is not as it should be")


# -- measured ------------------------------------------------------------------------------------


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
