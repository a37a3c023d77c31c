"""Benchmark of the store's cold path, printed as ratios measured in one run.

Run it from the repository root: `make bench`, or `.venv/bin/python -m bench --help` for
the options that run one figure alone. What each figure measures, its goal and how to read
it are in docs/performance.md; it needs no AWS account and no network beyond 127.0.0.1.
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
    parser = argparse.ArgumentParser(prog="python -m bench", description="The store's benchmark (see docs/performance.md).")
    parser.add_argument("--campaign-sizes", type=sizes_argument, default=None, metavar="N,N",
                        help="recipients of each campaign, comma-separated (default 1000,10000; empty: no campaign)")
    parser.add_argument("--campaign-only", action="store_true", help="run figures 4 and 5 (campaign, drill) alone")
    parser.add_argument("--addresses-only", "--signup-only", dest="addresses_only", action="store_true",
                        help="run figure 6 (known vs new address: answer time and calls of every endpoint "
                             "that takes an address) alone")
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

    if options.addresses_only:
        from bench import address_timing

        address_timing.run_alone(progress, WIDTH)
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

    from bench import address_timing, aws_calls, cold_report, first_page, import_time

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
        address_times = address_timing.measure(log, progress=progress)
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
    address_timing.report(address_times, row, details=False)
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
    address_timing.report(address_times, row, headline=False)
    print_campaign(campaign_runs, headline=False)
    print()
    progress(f"done in {time.perf_counter() - started:.0f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
