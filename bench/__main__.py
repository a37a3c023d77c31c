"""Benchmark of the store's cold path, printed as ratios measured in one run.

Run it from the repository root:

    .venv/bin/python -m bench        (or: make bench)
    .venv/bin/python -m bench --campaign-sizes 200,2000    (smaller campaigns, for a quick look)
    .venv/bin/python -m bench --campaign-only              (figures 4 and 5 alone)
    .venv/bin/python -m bench --signup-only                (figure 6 alone, about 20 s)
    .venv/bin/python -m bench --calls-only                 (figure 3 alone, a few seconds)
    .venv/bin/python -m bench --first-page-only            (figure 7 alone, about 15 s)
    .venv/bin/python -m bench --cold-only                  (figure 2 and its breakdown alone, under a minute)

It needs no network beyond 127.0.0.1 and no AWS account: it sets its own AWS environment
(local_stage.emulator.AWS_ENVIRONMENT and the local stage's variables; nothing from the
caller's AWS_* variables or ~/.aws) and starts the moto emulator in this process
(local_stage.emulator.start("local"), on 127.0.0.1); the campaigns get emulators of
their own, in child processes. Figures 1 to 3 take about a minute, most of it the 80 or
so cold-start children; the campaigns take most of the run (about 6 to 8 minutes on a
2-core machine, nearly all of it the 10,000 sends through moto).

What it measures:

1. Import time. `import app` (the API handler module) against `import boto3`, each in a
   fresh interpreter under `python -X importtime -c "import X"`: the sum of the
   cumulative microseconds of the command's top-level (level-0) import lines. Median of
   5 runs after 2 warm-ups each, interleaved. Goal: app/boto3 <= 1.0x.
2. Cold start (bench.cold_start). From spawning a fresh interpreter to its first successful
   response, the store's first request of four kinds against a bare Chalice app whose one
   route does one DynamoDB put_item: POST /signup with a new address (goal <= 1.3x); GET
   /account signed in (goal <= 1.3x), with the session cookie of a customer this process signed in
   beforehand through the welcome mail's /login/ link (chalice.test's client, as in
   figure 3); POST /processor/webhook with the sandbox processor's signed "pay" callback
   for a pending order this process made beforehand, one order per run (must answer
   "fulfilled"); and GET / from a Mexican address with a Chrome User-Agent (must be
   Mexico's home page). Each child imports its app and invokes the app object once with an
   API Gateway proxy event, against the emulator in this (the parent) process. The clock
   is time.monotonic_ns(), read by the parent just before it spawns the child and by the
   child when the response is back. 11 rounds after 1 warm-up round, each round one run
   of every kind and of the bare route, in an order that turns by one each round; the
   ms are medians, the ratio is the median of the rounds' kind / bare (a round's runs are
   seconds apart, so a slow spell of the machine falls on both; over three runs it was
   the steadier of the two for three kinds of four). The details give the ratio of the
   medians too, and the rounds' min..max: the noise.
   The libraries' share, for the callback and GET / (bench.cold_breakdown): in 3 more runs
   of each under -X importtime, the cumulative microseconds of the outermost import lines
   of stripe, of ua_parser (with ua_parser_builtins) and of iptocc that come during the
   first request, as a share of the same run's cold start (-X importtime adds a little to
   every import, part and whole alike) and of the headline's excess over the bare route
   (kind's median - bare's median; above 100% where the rest of the store's cold start is
   quicker than the bare route's); beside it, the first call of the function through
   which the store first uses the library (shared.processor.verify_callback,
   shared.user_agents.families, shared.geo.country_of_address), import and first use
   together, timed by a wrapper in the same runs (ua-parser compiles its rules at the
   first parse, not on import).
   The breakdown, in the details: from those -X importtime runs, each kind's first-request
   import self-time by top-level package, and the modules the signup's process (import
   and first request) loads that the bare route's does not, by package; the signup's
   first uses, each timed alone with time.monotonic_ns() in a fresh process after `import
   app`, no profiler, medians of 3 (bench._first_use_child: settings, ports, the import of
   functions.signup, SignupRequest's build and first validation, the boto3 session, the
   DynamoDB client, what is left of the first POST /signup, a warm one); and a cProfile of
   one first signup request, its biggest entries by cumulative and by own time (cProfile
   slows every Python call, often twofold: read the order, not the ms).
3. AWS calls on the synchronous path, counted by a botocore `before-call` hook on the
   app's boto3 session (shared.aws._session()), reset just before each request made
   with chalice.test.Client: signup with a new address (goal <= 2), with an existing
   one, and one-click unsubscribe (POST /unsubscribe/{token}, body
   List-Unsubscribe=One-Click; goal <= 2), the token taken from the welcome mail.
   Commerce, for a customer signed in through the welcome mail's /login/ link, with PINs
   imported for MX-10 beforehand (setup, not measured): POST /checkout with body
   {"sku": "MX-10", "quantity": 1} and a fresh Idempotency-Key (goal <= 3), then the same
   key and body again (must give the same answer); one delivery of the sandbox processor's
   signed "pay" callback to POST /processor/webhook (goal <= 3; must fulfil the order), then
   the same delivery again (must answer already_paid). The checkout's figure includes the
   signed-in check (session and account reads) that runs before the view; the details say
   how many calls that is. The local stage's sandbox processor writes its own session
   record with one PutItem through the app's session: it is counted, but reported apart
   ("+1 sandbox processor's own record"), since in AWS that work is the processor's.
   Scan operations are counted over the whole run, in this process and on the
   emulators' side (which also see the cold-start children and the campaigns); the goal is 0.
4. A campaign (bench.campaign) to 1,000 and to 10,000 opted-in accounts, each size on a
   fresh table in an emulator process of its own, measured in a fresh process: the
   fan-out (send_campaign, one mail job per recipient) and the send (sweep(ports,
   limit=500) until no job is left). AWS calls per recipient (before-call hook), this
   process's CPU time per recipient (time.process_time; moto's is not in it) and wall
   time; the growth 10,000 / 1,000 of total CPU time and of total AWS calls (goal:
   linear, <= 11x). Checked: every job's outcome is "sent" and moto's SES recorded N
   mails. One run per size: each is large, but the machine is noisy all the same.
5. The throttling drill (bench.throttle_drill), on the in-memory table.
6. Signup's answer time for a known address against a new one (bench.signup_timing):
   medians of 20 requests each, interleaved, through figure 3's client and hook, with the
   AWS calls of each; goal: the same calls, and |known / new - 1| <= 0.15.

7. The first `GET /` (bench.first_page): a fresh process imports the app and invokes it
   with proxy events for GET / from a Mexican address with a Chrome User-Agent (the
   country's home page and its access count, P23 and P24): the first request against the
   median of 9 warm ones in the same process, as first / warm; inside them, ua-parser's
   first parse and the access count (first, and warm: the UpdateItem a page request adds).
   Median of 5 processes after 1 warm-up.

The figures are medians of a noisy machine: read the ratios, not the milliseconds. It
never asserts a timing; a request that fails (wrong status) stops it with an error.
"""
from __future__ import annotations

import argparse
import io
import logging
import statistics
import sys
import time
import warnings

from bench import environment
from bench.call_rows import CallRows, calls_alone
from bench.report import WIDTH, goal_text, print_campaign, print_drill, run_drill

IMPORT_RATIO_GOAL = 1.0
RUNS = 5
# Packages whose presence at `import app` time is worth a line in the report.
HEAVY_PACKAGES = ("boto3", "botocore", "pydantic", "pydantic_settings", "jinja2", "markdown", "email_validator",
                  "itsdangerous", "moto", "aws_lambda_powertools", "chalice")


def progress(message: str) -> None:
    print(f"[bench] {message}", file=sys.stderr, flush=True)


def median_spread(values: list[float]) -> tuple[float, float, float]:
    return statistics.median(values), min(values), max(values)


def sizes_argument(text: str) -> tuple[int, ...]:
    sizes = tuple(int(part.replace("_", "")) for part in text.split(",") if part.strip())
    if any(size < 1 for size in sizes):
        raise argparse.ArgumentTypeError("campaign sizes are positive numbers of recipients")
    return sizes


def arguments(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench", description="The store's benchmark (see bench/__main__.py).")
    parser.add_argument("--campaign-sizes", type=sizes_argument, default=None, metavar="N,N",
                        help="recipients of each campaign, comma-separated (default 1000,10000; empty: no campaign)")
    parser.add_argument("--campaign-only", action="store_true", help="run figures 4 and 5 (campaign, drill) alone")
    parser.add_argument("--signup-only", action="store_true", help="run figure 6 (signup, known vs new) alone")
    parser.add_argument("--calls-only", action="store_true", help="run figure 3 (AWS calls per request) alone")
    parser.add_argument("--first-page-only", action="store_true", help="run figure 7 (first GET / vs warm) alone")
    parser.add_argument("--cold-only", action="store_true", help="run figure 2 (cold starts) and its breakdown alone")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    options = arguments(sys.argv[1:] if argv is None else argv)
    started = time.perf_counter()
    environment.isolate()
    # moto's CloudFormation names the types the emulator provisions through the SES API instead.
    warnings.filterwarnings("ignore", message="Tried to parse AWS::", category=UserWarning)
    logging.getLogger("moto").setLevel(logging.ERROR)

    if options.signup_only:
        from bench import signup_timing

        signup_timing.run_alone(progress, WIDTH)
        progress(f"done in {time.perf_counter() - started:.0f} s")
        return 0
    if options.calls_only:
        calls_alone(progress)
        progress(f"done in {time.perf_counter() - started:.0f} s")
        return 0
    if options.first_page_only:
        from bench import first_page

        first_page.alone(progress, RUNS)
        progress(f"done in {time.perf_counter() - started:.0f} s")
        return 0
    if options.cold_only:
        from bench import cold_report

        cold_report.alone(progress)
        progress(f"done in {time.perf_counter() - started:.0f} s")
        return 0

    from bench import campaign

    campaign_sizes = campaign.SIZES if options.campaign_sizes is None else options.campaign_sizes
    if options.campaign_only:
        campaign_runs = campaign.measure(campaign_sizes, progress)
        drill = run_drill(progress)
        print()
        print(f"calling-card-store benchmark, campaign only ({sys.platform}, Python {sys.version.split()[0]})")
        print_campaign(campaign_runs)
        print_drill(drill)
        print()
        progress(f"done in {time.perf_counter() - started:.0f} s")
        return 0

    from bench import aws_calls, cold_report, first_page, import_time, signup_timing

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

        cold, cold_parts = cold_report.measure(progress)
        progress(f"first GET / against warm: {RUNS} processes after 1 warm-up ...")
        first_pages = first_page.measure(runs=RUNS, warmups=1)

        progress("AWS calls per request ...")
        import app

        app_log = io.StringIO()  # the app's JSON log lines would mix with the table
        app.logger.registered_handler.setStream(app_log)
        calls = aws_calls.measure(log)
        signup_times = signup_timing.measure(log, progress=progress)
    finally:
        stage.stop()

    from bench import package

    progress("the deployed package: chalice package, then imports from the unpacked zip ...")
    packaged = package.measure(runs=RUNS, warmups=2)

    campaign_runs = campaign.measure(campaign_sizes, progress)
    drill = run_drill(progress)

    # -- report ------------------------------------------------------------------------
    app_ms, app_lo, app_hi = median_spread(app_imports)
    boto_ms, boto_lo, boto_hi = median_spread(boto3_imports)
    import_ratio = app_ms / boto_ms
    figure3 = CallRows.of(calls)
    width = WIDTH

    def row(label: str, text: str) -> None:
        print(f"  {label:<{width}}{text}")

    print()
    print(f"calling-card-store benchmark (one run, medians of {RUNS}, of {len(cold['bare'])} for the cold starts; "
          f"{sys.platform}, Python {sys.version.split()[0]})")
    row("import app vs import boto3",
        f"app {app_ms:6.1f} ms  boto3 {boto_ms:6.1f} ms  ratio {import_ratio:.2f}x "
        f"{goal_text(import_ratio, IMPORT_RATIO_GOAL, 'x')}")
    cold_report.report(cold, cold_parts, row, details=False)
    first_page.report(first_pages, row, details=False)
    package.report(packaged, row)
    figure3.signup(row)
    signup_timing.report(signup_times, row, details=False)
    figure3.others(row)
    campaign_scans = sum(r.scans for r in campaign_runs)
    total_scans = server_scans.count + campaign_scans
    row("Scan operations, whole bench",
        f"{total_scans} (goal 0: {'met' if total_scans == 0 else 'NOT met'}; emulator-side count, all processes; "
        f"of which campaigns: {campaign_scans}; app session in this process: {log.scans_total})")
    print_campaign(campaign_runs, details=False)
    print_drill(drill)

    print()
    print("details")
    row("import app, min..max", f"{app_lo:.1f}..{app_hi:.1f} ms; boto3 {boto_lo:.1f}..{boto_hi:.1f} ms")
    row("import app, biggest imports (1 run)", ", ".join(f"{n} {us / 1000:.1f} ms" for n, us in heaviest))
    row("import app, packages (1 run)",
        ", ".join(f"{p} {us / 1000:.1f} ms" for p, us in sorted(loaded.items(), key=lambda i: -i[1]))
        + f" (of: {', '.join(HEAVY_PACKAGES)})")
    cold_report.report(cold, cold_parts, row, headline=False)
    first_page.report(first_pages, row, headline=False)
    figure3.details(row)
    signup_timing.report(signup_times, row, headline=False)
    print_campaign(campaign_runs, headline=False)
    print()
    progress(f"done in {time.perf_counter() - started:.0f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
