"""Figure 2: process start to first successful response, the store's first request of each
kind (KINDS) against a bare Chalice app doing one put_item, all against the emulator
running in this process. The signed-in GET /account and the processor callback need a
session and orders: Prepared makes them here, through the app's own routes, beforehand."""
from __future__ import annotations

import contextlib
import io
import json
import subprocess
import sys
import time
import uuid
from dataclasses import dataclass, field

from bench._cold_child import MARKER
from bench.environment import ROOT, child_environment

# The store's first requests, each against "bare" (bench._bare_app's one put_item).
KINDS = ("signup", "account", "webhook", "home")
LABELS = {"signup": "first signup", "account": "first GET /account", "webhook": "first callback",
          "home": "first GET /", "bare": "bare route"}
RUNS = 11  # the cold ratios moved by 0.1 or more between runs of 5 on a 2-core machine
WARMUPS = 1


@dataclass
class ColdRun:
    app: str
    entered_ms: float  # interpreter start-up, until the child's first line ran
    imported_ms: float  # ... until the app module was imported
    answered_ms: float  # ... until the first response was back: the figure
    loaded_by_request: list[str]  # installed packages the first request imported
    started_ms: float = 0.0  # ... until the first request began (after the instruments, if any)
    first_uses_ms: dict[str, float] = field(default_factory=dict)  # BENCH_FIRST_USES runs only
    profile: list | None = None  # BENCH_PROFILE runs only
    importtime: str = ""  # the child's stderr, for runs under -X importtime


def spawn(child: str, *args: str, env: dict[str, str] | None = None, flags: tuple[str, ...] = ()) -> dict:
    """Run a child module in a fresh interpreter (BENCH_T0_NS read just before the spawn)
    and return its RESULT line, with the child's stderr under "stderr"."""
    env = child_environment(**(env or {}))
    argv = [sys.executable, *flags, "-m", child, *args]
    env["BENCH_T0_NS"] = str(time.monotonic_ns())
    completed = subprocess.run(argv, cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)
    lines = [line for line in completed.stdout.splitlines() if line.startswith(MARKER)]
    if completed.returncode != 0 or not lines:
        raise RuntimeError(f"{child} {' '.join(args)} failed (exit {completed.returncode}):\n"
                           f"{completed.stdout[-2000:]}\n{completed.stderr[-3000:]}")
    return {**json.loads(lines[-1][len(MARKER):]), "stderr": completed.stderr}


class Prepared:
    """What the signed-in and callback children need, made in this process through the
    app's own routes (chalice.test's client), as bench.aws_calls does: a customer signed in
    through the welcome mail's /login/ link (its session cookie, shared by every GET
    /account run: reading the account changes nothing) and `orders` pending orders of
    MX-10 with their PINs imported, one per callback run (a paid order answers
    already_paid). Each callback is signed just before its child is spawned."""

    def __init__(self, orders: int) -> None:
        from chalice.test import Client

        import app
        from bench import aws_calls

        app.logger.registered_handler.setStream(io.StringIO())  # the app's JSON log lines would mix with the table
        with Client(app.app, stage_name="local", project_dir=str(ROOT)) as client, \
                contextlib.redirect_stdout(io.StringIO()):  # the sweeper's metric lines, likewise
            aws_calls.import_stock(aws_calls.CHECKOUT_BODY["sku"], orders)
            self.address, self.cookie = aws_calls.signed_in_customer(client)
            self.orders: list[str] = []
            for _ in range(orders):
                started = aws_calls.checkout(client, self.cookie, f"bench-cold-{uuid.uuid4().hex}")
                if started.status_code != 201:
                    raise RuntimeError(f"checkout for a callback run: status {started.status_code}: "
                                       f"{started.body[:500]!r}")
                self.orders.append(json.loads(started.body)["order_id"])

    def request(self, which: str) -> dict:
        """BENCH_REQUEST's contents for a child of this kind."""
        if which == "account":
            return {"headers": {"cookie": self.cookie}, "expect": self.address}
        if which == "webhook":
            from bench.aws_calls import paying_callback

            if not self.orders:
                raise RuntimeError("no order left for a callback run: prepare more")
            payload, signature = paying_callback(self.orders.pop())
            return {"headers": {"content-type": "application/json", "stripe-signature": signature},
                    "body": payload.decode()}
        return {}


def run_once(which: str, prepared: Prepared | None, flags: tuple[str, ...] = (), **instruments: str) -> ColdRun:
    given = prepared.request(which) if prepared is not None else {}
    result = spawn("bench._cold_child", which, uuid.uuid4().hex[:12], flags=flags,
                   env={"BENCH_REQUEST": json.dumps(given), **instruments})
    if result["wrong"]:
        raise RuntimeError(f"cold start of {which}: {result['wrong']}")
    ms = 1e6
    return ColdRun(which, result["entered_ns"] / ms, result["imported_ns"] / ms, result["answered_ns"] / ms,
                   result["loaded_by_request"], result["started_ns"] / ms,
                   {label: ns / ms for label, ns in result["first_uses_ns"].items()}, result["profile"],
                   result["stderr"] if flags else "")


def measure(prepared: Prepared | None, runs: int = RUNS, warmups: int = WARMUPS,
            kinds: tuple[str, ...] = KINDS) -> dict[str, list[ColdRun]]:
    """Interleaved runs of every kind and the bare route, in an order that turns by one each
    round (so no kind always follows the same one); the warm-up round (discarded) compiles
    bytecode and fills the page cache so that every measured run starts from the same state."""
    apps = (*kinds, "bare")
    results: dict[str, list[ColdRun]] = {a: [] for a in apps}
    for round_ in range(warmups + runs):
        turn = round_ % len(apps)
        for which in apps[turn:] + apps[:turn]:
            run = run_once(which, prepared)
            if round_ >= warmups:
                results[which].append(run)
    return results
