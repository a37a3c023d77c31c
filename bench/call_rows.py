"""Figure 3's rows (bench.aws_calls): the full report puts figure 6's headline between the
signup rows and the others; `--calls-only` prints them alone."""
from __future__ import annotations

import contextlib
import io
import sys

from bench.report import WIDTH, goal_text

SIGNUP_CALL_GOAL = 2
UNSUBSCRIBE_CALL_GOAL = 2
# The key's earlier answer is read before the cart (a retry gets its first answer), then the
# session and account reads, and the order's transaction.
CHECKOUT_CALL_GOAL = 4
CALLBACK_CALL_GOAL = 3


def _ops(measured) -> str:
    retries = measured.retries
    names = ", ".join(measured.calls) or "none"
    return f"[{names}]" + (f" +{retries} retried" if retries else "")


def _counted(measured, goal: float | None = None) -> str:
    """'3 (+1 sandbox processor's own record) (goal <= 3: met) [ops]'."""
    text = str(len(measured.calls))
    if measured.processor_calls:
        n = len(measured.processor_calls)
        text += (f" (+{n} sandbox processor's own record{'s' if n > 1 else ''}: "
                 f"{', '.join(measured.processor_calls)})")
    if goal is not None:
        text += f" {goal_text(len(measured.calls), goal)}"
    return f"{text} {_ops(measured)}"


def _session_part(measured) -> str:
    n = measured.session_check
    if n is None:
        return "no signed-in check seen"
    return (f"{n} of the {len(measured.calls)} are the signed-in check (session, then account: "
            f"{', '.join(measured.calls[:n]) or 'none'}); the view's own: {len(measured.calls) - n} "
            f"[{', '.join(measured.calls[n:]) or 'none'}]")


class CallRows:
    """Figure 3's rows, from bench.aws_calls.measure's results: the full report puts figure
    6's headline between the signup rows and the others, --calls-only prints them alone."""

    def __init__(self, by_label: dict) -> None:
        self.m = by_label

    @classmethod
    def of(cls, calls) -> CallRows:
        return cls({m.label: m for m in calls})

    def signup(self, row) -> None:
        new, existing = self.m["signup (new)"], self.m["signup (existing address)"]
        row("AWS calls, signup (new)", f"{len(new.calls)} {goal_text(len(new.calls), SIGNUP_CALL_GOAL)} {_ops(new)}")
        row("AWS calls, signup (existing)", f"{len(existing.calls)} {_ops(existing)}")

    def others(self, row) -> None:
        unsub = self.m["one-click unsubscribe"]
        row("AWS calls, one-click unsubscribe",
            f"{len(unsub.calls)} {goal_text(len(unsub.calls), UNSUBSCRIBE_CALL_GOAL)} {_ops(unsub)}")
        row("AWS calls, checkout (signed in)", _counted(self.m["checkout"], CHECKOUT_CALL_GOAL))
        row("AWS calls, checkout replay (same key)",
            _counted(self.m["checkout (replay, same key and body)"]) + " (same answer)")
        row("AWS calls, paying callback", _counted(self.m["paying callback"], CALLBACK_CALL_GOAL) + " (fulfilled)")
        row("AWS calls, paying callback duplicate", _counted(self.m["paying callback (duplicate)"]) + " (already_paid)")

    def details(self, row) -> None:
        first, again = self.m["signup (new, first request)"], self.m["one-click unsubscribe (again)"]
        row("AWS calls, first request in process", f"{len(first.calls)} {_ops(first)}")
        row("AWS calls, one-click again", f"{len(again.calls)} {_ops(again)} (already off)")
        row("AWS calls, checkout's session check", _session_part(self.m["checkout"]))
        row("AWS calls, replay's session check", _session_part(self.m["checkout (replay, same key and body)"]))


def calls_alone(progress) -> None:
    """`python -m bench --calls-only`: the emulator, the call hook, then figure 3."""
    from bench import aws_calls
    from local_stage import emulator

    progress("starting the emulator (moto on 127.0.0.1) and provisioning the local stage ...")
    stage = emulator.start("local")
    try:
        log = aws_calls.install_call_log()
        import app

        app.logger.registered_handler.setStream(io.StringIO())  # the app's JSON log lines would mix with the table
        progress("AWS calls per request ...")
        with contextlib.redirect_stdout(io.StringIO()):  # the sweeper's metric lines would mix with the table
            calls = aws_calls.measure(log)
    finally:
        stage.stop()
    figure3 = CallRows.of(calls)

    def row(label: str, text: str) -> None:
        print(f"  {label:<{WIDTH}}{text}")

    print()
    print(f"calling-card-store benchmark, AWS calls only ({sys.platform}, Python {sys.version.split()[0]})")
    figure3.signup(row)
    figure3.others(row)
    figure3.details(row)
    row("Scan operations, app session", f"{log.scans_total} (goal 0: {'met' if log.scans_total == 0 else 'NOT met'})")
    print()
