"""Benchmark of the store's cold path, printed as ratios measured in one run.

Run it from the repository root:

    .venv/bin/python -m bench        (or: make bench)

It needs no network beyond 127.0.0.1 and no AWS account: it sets its own AWS environment
(local_stage.emulator.AWS_ENVIRONMENT and the local stage's variables; nothing from the
caller's AWS_* variables or ~/.aws) and starts the moto emulator in this process
(local_stage.emulator.start("local"), on 127.0.0.1). It takes 10 to 20 seconds.

What it measures:

1. Import time. `import app` (the API handler module) against `import boto3`, each in a
   fresh interpreter under `python -X importtime -c "import X"`: the sum of the
   cumulative microseconds of the command's top-level (level-0) import lines. Median of
   5 runs after 2 warm-ups each, interleaved. Goal: app/boto3 <= 1.0x.
2. Cold start. From spawning a fresh interpreter to its first successful response:
   the store's POST /signup (new address) against a bare Chalice app whose one route does
   one DynamoDB put_item. Each child imports its app and invokes the app object once with
   an API Gateway proxy event, both against the emulator in this (the parent) process.
   The clock is time.monotonic_ns(), read by the parent just before it spawns the child
   and by the child when the response is back. Median of 5 each after 1 warm-up each,
   interleaved. Reported as signup/bare.
3. AWS calls on the synchronous path, counted by a botocore `before-call` hook on the
   app's boto3 session (shared.aws._session()), reset just before each request made
   with chalice.test.Client: signup with a new address (goal <= 2), with an existing
   one, and one-click unsubscribe (POST /unsubscribe/{token}, body
   List-Unsubscribe=One-Click; goal <= 2), the token taken from the welcome mail.
   Scan operations are counted over the whole run, in this process and on the
   emulator's side (which also sees the cold-start children); the goal is 0.

The figures are medians of a noisy machine: read the ratios, not the milliseconds. It
never asserts a timing; a request that fails (wrong status) stops it with an error.
"""
from __future__ import annotations

import io
import logging
import statistics
import sys
import time
import warnings

from bench import environment

SIGNUP_CALL_GOAL = 2
UNSUBSCRIBE_CALL_GOAL = 2
IMPORT_RATIO_GOAL = 1.0
RUNS = 5
# Packages whose presence at `import app` time is worth a line in the report.
HEAVY_PACKAGES = ("boto3", "botocore", "pydantic", "pydantic_settings", "jinja2", "markdown", "email_validator",
                  "itsdangerous", "moto", "aws_lambda_powertools", "chalice")


def progress(message: str) -> None:
    print(f"[bench] {message}", file=sys.stderr, flush=True)


def median_spread(values: list[float]) -> tuple[float, float, float]:
    return statistics.median(values), min(values), max(values)


def goal_text(value: float, goal: float, unit: str = "") -> str:
    return f"(goal <= {goal:g}{unit}: {'met' if value <= goal else 'NOT met'})"


def main() -> int:
    started = time.perf_counter()
    environment.isolate()
    # moto's CloudFormation names the types the emulator provisions through the SES API instead.
    warnings.filterwarnings("ignore", message="Tried to parse AWS::", category=UserWarning)
    logging.getLogger("moto").setLevel(logging.ERROR)

    from bench import aws_calls, cold_start, import_time

    progress(f"import time: {RUNS} runs of each after 2 warm-ups ...")
    imports = import_time.measure(("app", "boto3"), runs=RUNS, warmups=2)
    app_imports = [r.microseconds / 1000 for r in imports["app"]]
    boto3_imports = [r.microseconds / 1000 for r in imports["boto3"]]
    heaviest = import_time.heaviest_imports("app")
    loaded = import_time.find("app", HEAVY_PACKAGES)

    progress("starting the emulator (moto on 127.0.0.1) and provisioning the local stage ...")
    server_scans = aws_calls.ServerScanCounter()
    from local_stage import emulator

    stage = emulator.start("local")
    try:
        log = aws_calls.install_call_log()

        progress(f"cold start: {RUNS} runs of each after 1 warm-up, against {stage.endpoint_url} ...")
        cold = cold_start.measure(runs=RUNS, warmups=1)

        progress("AWS calls per request ...")
        import app

        app_log = io.StringIO()  # the app's JSON log lines would mix with the table
        app.logger.registered_handler.setStream(app_log)
        calls = aws_calls.measure(log)
    finally:
        stage.stop()

    # -- report ------------------------------------------------------------------------
    app_ms, app_lo, app_hi = median_spread(app_imports)
    boto_ms, boto_lo, boto_hi = median_spread(boto3_imports)
    import_ratio = app_ms / boto_ms
    signup_cold = [r.answered_ms for r in cold["signup"]]
    bare_cold = [r.answered_ms for r in cold["bare"]]
    signup_ms, signup_lo, signup_hi = median_spread(signup_cold)
    bare_ms, bare_lo, bare_hi = median_spread(bare_cold)
    by_label = {m.label: m for m in calls}
    new, first = by_label["signup (new)"], by_label["signup (new, first request)"]
    existing = by_label["signup (existing address)"]
    unsub, unsub_again = by_label["one-click unsubscribe"], by_label["one-click unsubscribe (again)"]
    width = 40

    def row(label: str, text: str) -> None:
        print(f"  {label:<{width}}{text}")

    def ops(measured) -> str:
        retries = measured.sends - len(measured.calls)
        names = ", ".join(measured.calls) or "none"
        return f"[{names}]" + (f" +{retries} retried" if retries else "")

    print()
    print(f"calling-card-store benchmark (one run, medians of {RUNS}; {sys.platform}, Python {sys.version.split()[0]})")
    row("import app vs import boto3",
        f"app {app_ms:6.1f} ms  boto3 {boto_ms:6.1f} ms  ratio {import_ratio:.2f}x "
        f"{goal_text(import_ratio, IMPORT_RATIO_GOAL, 'x')}")
    row("cold start to first signup",
        f"signup {signup_ms:6.1f} ms  bare {bare_ms:6.1f} ms  ratio {signup_ms / bare_ms:.2f}x (signup / bare)")
    row("AWS calls, signup (new)", f"{len(new.calls)} {goal_text(len(new.calls), SIGNUP_CALL_GOAL)} {ops(new)}")
    row("AWS calls, signup (existing)", f"{len(existing.calls)} {ops(existing)}")
    row("AWS calls, one-click unsubscribe",
        f"{len(unsub.calls)} {goal_text(len(unsub.calls), UNSUBSCRIBE_CALL_GOAL)} {ops(unsub)}")
    total_scans = server_scans.count
    row("Scan operations, whole bench",
        f"{total_scans} (goal 0: {'met' if total_scans == 0 else 'NOT met'}; emulator-side count, all processes; "
        f"app session in this process: {log.scans_total})")

    print()
    print("details")
    row("import app, min..max", f"{app_lo:.1f}..{app_hi:.1f} ms; boto3 {boto_lo:.1f}..{boto_hi:.1f} ms")
    row("import app, biggest imports (1 run)", ", ".join(f"{n} {us / 1000:.1f} ms" for n, us in heaviest))
    row("import app, packages (1 run)",
        ", ".join(f"{p} {us / 1000:.1f} ms" for p, us in sorted(loaded.items(), key=lambda i: -i[1]))
        + f" (of: {', '.join(HEAVY_PACKAGES)})")
    row("cold start, min..max", f"signup {signup_lo:.1f}..{signup_hi:.1f} ms; bare {bare_lo:.1f}..{bare_hi:.1f} ms")
    for which in ("signup", "bare"):
        runs = cold[which]
        entered = statistics.median(r.entered_ms for r in runs)
        imported = statistics.median(r.imported_ms - r.entered_ms for r in runs)
        answered = statistics.median(r.answered_ms - r.imported_ms for r in runs)
        row(f"cold start {which}, medians of parts",
            f"interpreter {entered:.1f} ms + import {imported:.1f} ms + first request {answered:.1f} ms")
    row("cold start signup, first request loads", ", ".join(cold["signup"][-1].loaded_by_request) or "nothing")
    row("AWS calls, first request in process", f"{len(first.calls)} {ops(first)}")
    row("AWS calls, one-click again", f"{len(unsub_again.calls)} {ops(unsub_again)} (already off)")
    print()
    progress(f"done in {time.perf_counter() - started:.0f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
