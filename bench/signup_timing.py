"""Figure 6: does signup's answer time tell a known address from a new one?

POST /signup answers 202 {"status": "check_your_email"} whatever the address; its time must
not tell either. Through the same path as figure 3 (chalice.test.Client, the app's boto3
session, the emulator in this process), `ROUNDS` rounds each sign up one new address and
one known address of each state (pending, active, deactivated), in an order that rotates
every round; each request is timed alone (time.perf_counter around the client's post) and
its AWS calls counted by figure 3's before-call hook. Every known address is signed up once
while measured, so none comes near the hourly link-mail cap. Setup, not measured: the
known addresses are signed up beforehand; the active ones then use their welcome mail's
link, the deactivated ones are deactivated as POST /account/deactivate does it.

Reported: the medians, the ratio known / new for each state (goal: within RATIO_GOAL of 1),
the calls each path makes (goal: the same operations, in the same order, for every
request), and whether every answer was the same status and body.
"""
from __future__ import annotations

import contextlib
import gc
import io
import itertools
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
STATES = ("pending", "active", "deactivated")
NEW = "new"


@dataclass
class Requests:
    """One kind of address: the time of each of its requests, and the calls each made."""

    times_ms: list[float] = field(default_factory=list)
    calls: list[tuple[str, ...]] = field(default_factory=list)
    answers: set[tuple[int, bytes]] = field(default_factory=set)

    @property
    def median_ms(self) -> float:
        return statistics.median(self.times_ms)

    @property
    def one_call_list(self) -> tuple[str, ...] | None:
        """The calls every request made, or None when they were not all alike."""
        distinct = set(self.calls)
        return next(iter(distinct)) if len(distinct) == 1 else None


@dataclass
class SignupTiming:
    paths: dict[str, Requests]
    rounds: int

    def ratio(self, state: str) -> float:
        return self.paths[state].median_ms / self.paths[NEW].median_ms

    def within_goal(self, state: str) -> bool:
        return abs(self.ratio(state) - 1) <= RATIO_GOAL

    @property
    def same_calls(self) -> bool:
        lists = {path.one_call_list for path in self.paths.values()}
        return len(lists) == 1 and None not in lists

    @property
    def same_answer(self) -> bool:
        return len(set().union(*(path.answers for path in self.paths.values()))) == 1


def _address(kind: str) -> str:
    return f"bench.timing.{kind}.{uuid.uuid4().hex[:10]}@example.org"


def _known_addresses(client, signup: Callable[[str], object], count: int) -> dict[str, list[str]]:
    """Setup, not measured: `count` accounts in each state."""
    from functions.accounts import deactivate
    from local_stage.customers import use_sign_in_link
    from shared.ports import process_ports

    known = {state: [_address(state) for _ in range(count)] for state in STATES}
    for address in itertools.chain(*known.values()):
        answer = signup(address)
        if answer.status_code != 202:
            raise RuntimeError(f"setup signup: status {answer.status_code}")
    for address in known["active"] + known["deactivated"]:
        use_sign_in_link(client, address)
    for address in known["deactivated"]:
        deactivate(_account(address), process_ports())
    return known


def _account(address: str):
    from shared.ports import process_ports
    from shared.ids import address_hash

    store = process_ports()
    account = store.accounts.get(store.accounts.account_id_for(address_hash(address, store.settings.hash_key())) or "")
    if account is None:
        raise RuntimeError("setup: an account the bench signed up is missing")
    return account


def measure(log: CallLog, rounds: int = ROUNDS, warmups: int = WARMUPS, progress=lambda _m: None) -> SignupTiming:
    """Needs the emulator started and `log` installed (bench.aws_calls.install_call_log)."""
    from chalice.test import Client

    import app
    from bench.environment import ROOT

    with Client(app.app, stage_name="local", project_dir=str(ROOT)) as client:
        def signup(address: str):
            body = json.dumps({"email": address, "name": "Bench Caller", "promotions": True})
            return client.http.post("/signup", headers={"Content-Type": "application/json"}, body=body)

        progress(f"signup timing: setting up {rounds + warmups} known addresses in each of {', '.join(STATES)} ...")
        with contextlib.redirect_stdout(io.StringIO()):  # the sweeper's metric lines would mix with the table
            known = _known_addresses(client, signup, rounds + warmups)
        kinds = (NEW, *STATES)
        paths = {kind: Requests() for kind in kinds}
        progress(f"signup timing: {warmups} warm-up and {rounds} measured rounds, interleaved ...")
        for n in range(warmups + rounds):
            order = kinds[n % len(kinds):] + kinds[:n % len(kinds)]  # each kind leads in turn
            for kind in order:
                address = _address(NEW) if kind == NEW else known[kind][n]
                log.reset()
                gc.collect()  # no collection inside the timed request (as timeit does it)
                gc.disable()
                try:
                    started = time.perf_counter()
                    answer = signup(address)
                    elapsed_ms = (time.perf_counter() - started) * 1000
                finally:
                    gc.enable()
                calls, _sends = log.snapshot()
                if answer.status_code != 202:
                    raise RuntimeError(f"signup ({kind}): status {answer.status_code}: {answer.body[:500]!r}")
                if n < warmups:
                    continue
                path = paths[kind]
                path.times_ms.append(elapsed_ms)
                path.calls.append(tuple(calls))
                path.answers.add((answer.status_code, answer.body))
    return SignupTiming(paths, rounds)


def report(timing: SignupTiming, row: Callable[[str, str], None], headline: bool = True, details: bool = True) -> None:
    """The headline rows (known pending vs new) and/or the details (the other states, the calls)."""
    new = timing.paths[NEW]

    def calls_text(path: Requests) -> str:
        one = path.one_call_list
        return f"{len(one)} [{', '.join(one) or 'none'}]" if one is not None else "NOT the same in every request"

    def compared(state: str) -> str:
        ratio = timing.ratio(state)
        return (f"known ({state}) {timing.paths[state].median_ms:6.1f} ms  new {new.median_ms:6.1f} ms  "
                f"ratio {ratio:.2f} (goal |ratio - 1| <= {RATIO_GOAL:g}: "
                f"{'met' if timing.within_goal(state) else 'NOT met'})")

    counts = ", ".join(f"{kind} {len(path.one_call_list)}" if path.one_call_list is not None else f"{kind} varies"
                       for kind, path in timing.paths.items())
    if headline:
        row("signup time, known vs new address", compared("pending") + f" (medians of {timing.rounds})")
        row("signup AWS calls, known vs new",
            f"{counts} (goal: the same calls: {'met' if timing.same_calls else 'NOT met'}; "
            f"same answer: {'yes' if timing.same_answer else 'NO'})")
    if not details:
        return
    for state in STATES[1:]:
        row(f"signup time, known ({state}) vs new", compared(state))
    for kind, path in timing.paths.items():
        times = sorted(path.times_ms)
        row(f"signup ({kind}), calls", f"{calls_text(path)}; {times[0]:.1f}..{times[-1]:.1f} ms")


def run_alone(progress: Callable[[str], None], width: int) -> None:
    """`python -m bench --signup-only`: the emulator, figure 3's call hook, then this figure."""
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
    print(f"calling-card-store benchmark, signup only ({sys.platform}, Python {sys.version.split()[0]})")
    report(timing, lambda label, text: print(f"  {label:<{width}}{text}"))
    print()
