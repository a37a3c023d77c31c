"""Figure 7: the first `GET /` of a fresh process (bench._first_page_child) against warm
ones in the same process: the country's home page and its access count (P23, P24), with
ua-parser's first parse inside it, against the emulator running in this process."""
from __future__ import annotations

import statistics
import sys
from dataclasses import dataclass

from bench.cold_start import spawn


@dataclass
class FirstPage:
    from_spawn_ms: float  # spawn to the first response: interpreter, import app, first GET /
    first_ms: float  # the first GET / alone
    warm_ms: float  # median of the warm GET / (same User-Agent)
    other_agents_ms: float  # median of one GET / each for User-Agents new to the parser
    first_count_ms: float  # the access count inside the first request
    warm_count_ms: float  # ... inside a warm one (median): the latency the counter adds
    first_parse_ms: float  # ua-parser's first parse
    other_parse_ms: float  # its parse of a new User-Agent once warm (median)
    loaded_by_request: list[str]


def run_once() -> FirstPage:
    r = spawn("bench._first_page_child")
    warm = len(r["warm_ns"])
    ms = 1e6
    return FirstPage(
        from_spawn_ms=r["answered_ns"] / ms, first_ms=r["first_ns"] / ms,
        warm_ms=statistics.median(r["warm_ns"]) / ms, other_agents_ms=statistics.median(r["other_agents_ns"]) / ms,
        first_count_ms=r["count_ns"][0] / ms, warm_count_ms=statistics.median(r["count_ns"][1:1 + warm]) / ms,
        first_parse_ms=r["parse_ns"][0] / ms, other_parse_ms=statistics.median(r["parse_ns"][1 + warm:]) / ms,
        loaded_by_request=r["loaded_by_request"])


def measure(runs: int = 5, warmups: int = 1) -> list[FirstPage]:
    for _ in range(warmups):
        run_once()
    return [run_once() for _ in range(runs)]


def report(runs: list[FirstPage], row, headline: bool = True, details: bool = True) -> None:
    def median(name: str) -> float:
        return statistics.median(getattr(r, name) for r in runs)

    first, warm = median("first_ms"), median("warm_ms")
    if headline:
        row("first GET / vs warm GET /",
            f"first {first:6.1f} ms  warm {warm:6.1f} ms  ratio {first / warm:.1f}x (first / warm, one process; "
            f"{median('from_spawn_ms'):.0f} ms from spawn)")
        row("first GET /, ua-parser and the count",
            f"ua-parser's first parse {median('first_parse_ms'):.1f} ms; the access count {median('first_count_ms'):.1f} "
            f"ms first, {median('warm_count_ms'):.2f} ms warm (its UpdateItem to the emulator: what the counter adds)")
    if details:
        row("first GET /, min..max", f"{min(r.first_ms for r in runs):.1f}..{max(r.first_ms for r in runs):.1f} ms; "
            f"warm {min(r.warm_ms for r in runs):.1f}..{max(r.warm_ms for r in runs):.1f} ms")
        row("GET /, a User-Agent new to the parser",
            f"{median('other_agents_ms'):.1f} ms (its parse {median('other_parse_ms'):.1f} ms)")
        row("first GET /, loads", ", ".join(runs[-1].loaded_by_request) or "nothing")


def alone(progress, runs: int = 5) -> None:
    """`python -m bench --first-page-only`: the emulator, then figure 7."""
    from bench.report import WIDTH
    from local_stage import emulator

    progress("starting the emulator (moto on 127.0.0.1) and provisioning the local stage ...")
    stage = emulator.start("local")
    try:
        progress(f"first GET / against warm: {runs} processes after 1 warm-up ...")
        measured = measure(runs=runs, warmups=1)
    finally:
        stage.stop()
    print()
    print(f"calling-card-store benchmark, first GET / only ({sys.platform}, Python {sys.version.split()[0]})")
    report(measured, lambda label, text: print(f"  {label:<{WIDTH}}{text}"))
    print()
