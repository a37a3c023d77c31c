"""Figure 2's rows (bench.cold_start, bench.cold_breakdown) for bench/__main__.py: the
headline ratios in the report, the breakdown in its details, and `--cold-only`."""
from __future__ import annotations

import statistics
import sys

from bench import cold_breakdown, cold_start
from bench.cold_breakdown import LIBRARIES, Breakdown
from bench.cold_start import KINDS, LABELS, ColdRun
from bench.report import WIDTH

# Step 11's goals: a new container's first signup and first signed-in account page within
# 1.3 times the bare route's first answer; the callback and GET / are printed, not held to one.
COLD_RATIO_GOAL = 1.3
GOALS = {"signup": COLD_RATIO_GOAL, "account": COLD_RATIO_GOAL}


def measure(progress, runs: int = cold_start.RUNS) -> tuple[dict[str, list[ColdRun]], Breakdown]:
    """Figure 2 and its breakdown; the emulator must be running in this process."""
    rounds = cold_start.WARMUPS + runs
    progress("cold start: a signed-in customer and orders for the callback runs, through the app's routes ...")
    prepared = cold_start.Prepared(rounds + cold_breakdown.IMPORT_RUNS)
    progress(f"cold start: {runs} rounds of {', '.join(KINDS)} and bare after {cold_start.WARMUPS} warm-up, "
             "interleaved ...")
    cold = cold_start.measure(prepared, runs=runs)
    return cold, cold_breakdown.measure(prepared, progress)


def _median(runs: list[ColdRun], part=lambda r: r.answered_ms) -> float:
    return statistics.median(part(r) for r in runs)


def round_ratios(cold: dict[str, list[ColdRun]], which: str) -> list[float]:
    """Each round's kind / bare: the two ran in the same round, a few seconds apart at most."""
    return [r.answered_ms / b.answered_ms for r, b in zip(cold[which], cold["bare"])]


def _goal(ratio: float, goal: float | None) -> str:
    return "" if goal is None else f" (goal <= {goal:g}x: {'met' if ratio <= goal else 'NOT met'})"


def _percent(share: float) -> str:
    return f"{share:.0%}" if share >= 0.005 else "<1%"


def _shares(which: str, cold: dict[str, list[ColdRun]], breakdown: Breakdown) -> str:
    """Each library's import in the first request, as a share of the same -X importtime run's
    cold start, and of the headline's excess over the bare route (its medians)."""
    excess = _median(cold[which]) - _median(cold["bare"])
    found = cold_breakdown.library_shares(breakdown.imports[which])
    parts = []
    for label, (ms, share, first_use) in sorted(found.items(), key=lambda i: -i[1][0]):
        text = f"{label} {ms:.1f} ms = {_percent(share)} of the cold start"
        if excess > 0:
            text += f", {_percent(ms / excess)} of the excess over bare above"
        if first_use is not None:
            text += f" (its first use with the import: {first_use:.1f} ms)"
        parts.append(text)
    missing = [label for label in LIBRARIES if label not in found]
    if missing:
        parts.append(f"{', '.join(missing)}: not imported")
    return "; ".join(parts)


def report(cold: dict[str, list[ColdRun]], breakdown: Breakdown, row, headline: bool = True,
           details: bool = True) -> None:
    bare = _median(cold["bare"])
    if headline:
        for which in KINDS:
            ms = _median(cold[which])
            ratio = statistics.median(round_ratios(cold, which))
            row(f"cold start to {LABELS[which]}",
                f"{which} {ms:6.1f} ms  bare {bare:6.1f} ms  ratio {ratio:.2f}x ({which} / bare, median of the "
                f"rounds'){_goal(ratio, GOALS.get(which))}")
            if which in cold_breakdown.FIRST_USE_KINDS:
                row(f"  {LABELS[which]}: libraries' imports", _shares(which, cold, breakdown))
    if details:
        _details(cold, breakdown, row)


def _details(cold: dict[str, list[ColdRun]], breakdown: Breakdown, row) -> None:
    runs = len(cold["bare"])
    row("cold start, min..max",
        ", ".join(f"{w} {min(r.answered_ms for r in cold[w]):.0f}..{max(r.answered_ms for r in cold[w]):.0f}"
                  for w in cold) + f" ms ({runs} runs each)")
    bare = _median(cold["bare"])
    row("cold start ratios, round by round",
        ", ".join(f"{w} {min(v):.2f}..{max(v):.2f}x" for w in KINDS for v in [round_ratios(cold, w)])
        + "; ratio of the medians: " + ", ".join(f"{w} {_median(cold[w]) / bare:.2f}x" for w in KINDS))
    for which in cold:
        row(f"cold start {which}, medians of parts",
            f"interpreter {_median(cold[which], lambda r: r.entered_ms):.1f} ms + import "
            f"{_median(cold[which], lambda r: r.imported_ms - r.entered_ms):.1f} ms + first request "
            f"{_median(cold[which], lambda r: r.answered_ms - r.imported_ms):.1f} ms")
    for which in KINDS:
        row(f"cold start {which}, first request loads", ", ".join(cold[which][-1].loaded_by_request) or "nothing")
    n = len(breakdown.imports["bare"])
    for which in KINDS:
        by_package, total, request_ms = cold_breakdown.request_imports(breakdown.imports[which])
        top = sorted(by_package.items(), key=lambda i: -i[1])[:8]
        row(f"{which} first request, import self-time",
            ", ".join(f"{name} {ms:.1f}" for name, ms in top)
            + f" ms; all {total:.1f} ms of a {request_ms:.0f} ms first request (-X importtime, medians of {n})")
    extra = cold_breakdown.only_in_store(breakdown.imports["signup"], breakdown.imports["bare"])
    top = sorted(extra.items(), key=lambda i: -i[1][1])
    row("signup loads, the bare route does not",
        ", ".join(f"{name} {ms:.1f} ms ({modules:g})" for name, (modules, ms) in top[:14])
        + (f", {len(top) - 14} more" if len(top) > 14 else "")
        + f"; all {sum(ms for _, ms in extra.values()):.1f} ms (self-time of the modules the app's import and "
          "first request add, and how many; -X importtime)")
    row("signup's first uses, after import app",
        f"no profiler, each after the ones above it, medians of {len(breakdown.first_uses)} fresh processes:")
    for label, ms in cold_breakdown.first_use_medians(breakdown):
        row(f"  {label}", "not measured (the app has no such name now)" if ms is None else f"{ms:6.1f} ms")
    cumulative, own = cold_breakdown.profile_rows(breakdown.profile)
    if cumulative:
        row("signup first request, cProfile",
            "1 run; cProfile slows every Python call (read the order, not the ms); by cumulative time, "
            "below Chalice's dispatch:")
        for name, calls, cum, self_ms in cumulative:
            row("", f"{cum:7.1f} ms cum  {self_ms:6.1f} ms own  {calls:5d}x  {name}")
        row("", "by own time:")
        for name, calls, cum, self_ms in own:
            row("", f"{self_ms:7.1f} ms own  {cum:6.1f} ms cum  {calls:5d}x  {name}")


def alone(progress) -> None:
    """`python -m bench --cold-only`: the emulator, then figure 2 and its breakdown."""
    from local_stage import emulator

    progress("starting the emulator (moto on 127.0.0.1) and provisioning the local stage ...")
    stage = emulator.start("local")
    try:
        cold, breakdown = measure(progress)
    finally:
        stage.stop()

    def row(label: str, text: str) -> None:
        print(f"  {label:<{WIDTH}}{text}")

    print()
    print(f"calling-card-store benchmark, cold starts only (medians of {len(cold['bare'])}; {sys.platform}, "
          f"Python {sys.version.split()[0]})")
    report(cold, breakdown, row, details=False)
    print()
    print("details")
    report(cold, breakdown, row, headline=False)
    print()
