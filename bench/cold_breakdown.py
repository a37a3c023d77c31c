"""Figure 2's breakdown, for the details: what the cold starts spend their time on.

- Imports: IMPORT_RUNS more children of each kind under `-X importtime`, split at the
  marks the child writes around its first request (bench._cold_child): the first
  request's import self-time by top-level package; what the store's signup process loads
  (import and first request) that the bare route's does not; and LIBRARIES' imports
  during the first request (the cumulative us of each library's outermost lines) as a
  share of that same run's cold start. -X importtime adds a little to every import, and so
  to both the part and the whole.
- First uses (webhook and home, the same runs): the first call of the function through
  which the store first uses stripe, ua-parser and iptocc, timed by a wrapper: import and
  first use together (ua-parser compiles its rules at its first parse, not on import).
- First uses of a signup (bench._first_use_child, FIRST_USE_RUNS runs, no profiler):
  settings, ports, the signup model's build and first validation, the boto3 session and
  the DynamoDB client, each timed on its own in a fresh process after `import app`.
- A cProfile of one first signup request: its biggest entries. cProfile's own overhead
  falls on every Python call (often doubling call-heavy code): read the order, not the ms.
"""
from __future__ import annotations

import statistics
import sys
import uuid
from dataclasses import dataclass

from bench._cold_child import FIRST_REQUEST_END, FIRST_REQUEST_MARK
from bench.cold_start import KINDS, ColdRun, Prepared, run_once, spawn
from bench.import_time import Row, after_site, parse_lines

IMPORT_RUNS = 3
FIRST_USE_RUNS = 3
# The libraries whose share of a cold start is reported: label -> their top-level packages.
LIBRARIES = {"stripe": ("stripe",), "ua_parser": ("ua_parser", "ua_parser_builtins"), "iptocc": ("iptocc",)}
FIRST_USE_KINDS = ("webhook", "home")  # where the wrapped first uses are timed
STDLIB = "(stdlib)"


@dataclass
class Breakdown:
    imports: dict[str, list[ColdRun]]  # per kind (and "bare"), runs under -X importtime
    first_uses: list[list[tuple[str, float | None]]]  # per run: (step, ms or None)
    profile: list  # rows of the profiled signup: [function, calls, cumulative ms, own ms]


def measure(prepared: Prepared, progress, runs: int = IMPORT_RUNS) -> Breakdown:
    progress(f"cold start breakdown: {runs} runs of each under -X importtime, {FIRST_USE_RUNS} of the signup's "
             "first uses, 1 profiled signup ...")
    imports: dict[str, list[ColdRun]] = {which: [] for which in (*KINDS, "bare")}
    for _ in range(runs):
        for which in imports:
            instruments = {"BENCH_FIRST_USES": "1"} if which in FIRST_USE_KINDS else {}
            imports[which].append(run_once(which, prepared, ("-X", "importtime"), **instruments))
    first_uses = []
    for _ in range(FIRST_USE_RUNS):
        steps = spawn("bench._first_use_child", uuid.uuid4().hex[:12])["steps"]
        first_uses.append([(label, None if ns is None else ns / 1e6) for label, ns in steps])
    profile = run_once("signup", prepared, BENCH_PROFILE="1").profile or []
    return Breakdown(imports, first_uses, profile)


# -- reading -X importtime -------------------------------------------------------------


def split(stderr: str) -> tuple[list[Row], list[Row]]:
    """The rows of the import (after start-up, before the first request) and of the first request."""
    lines = stderr.splitlines()
    begin, end = lines.index(FIRST_REQUEST_MARK), lines.index(FIRST_REQUEST_END)
    return after_site(parse_lines(lines[:begin])), parse_lines(lines[begin:end])


def package(module: str) -> str:
    top = module.split(".")[0]
    return STDLIB if top in sys.stdlib_module_names or top.startswith("_sysconfigdata") else top


def self_by_package(rows: list[Row]) -> dict[str, int]:
    found: dict[str, int] = {}
    for row in rows:
        found[package(row.name)] = found.get(package(row.name), 0) + row.self_us
    return found


def library_us(rows: list[Row], packages: tuple[str, ...]) -> int:
    """The cumulative us of the outermost lines of these packages' modules: their import,
    with whatever they imported that was not loaded yet."""
    def belongs(name: str) -> bool:
        return name.split(".")[0] in packages

    # A line's parent is the next line one level up (-X importtime prints a module when it ends).
    total, enclosing_ours, nearest = 0, [False] * len(rows), {}
    for i in range(len(rows) - 1, -1, -1):
        row = rows[i]
        parent = nearest.get(row.depth - 1)
        inside = parent is not None and (enclosing_ours[parent] or belongs(rows[parent].name))
        enclosing_ours[i] = inside
        nearest[row.depth] = i
        if belongs(row.name) and not inside:
            total += row.cumulative_us
    return total


def median_by_key(dicts: list[dict[str, float]]) -> dict[str, float]:
    keys = {k for d in dicts for k in d}
    return {k: statistics.median(d.get(k, 0) for d in dicts) for k in keys}


def request_imports(runs: list[ColdRun]) -> tuple[dict[str, float], float, float]:
    """Medians: self ms by package of the first request's imports, their total, and the
    first request's own ms, in runs under -X importtime."""
    per_run = [self_by_package(split(r.importtime)[1]) for r in runs]
    by_package = median_by_key([{k: us / 1000 for k, us in d.items()} for d in per_run])
    total = statistics.median(sum(d.values()) / 1000 for d in per_run)
    return by_package, total, statistics.median(r.answered_ms - r.started_ms for r in runs)


def only_in_store(store: list[ColdRun], bare: list[ColdRun]) -> dict[str, tuple[int, float]]:
    """package -> (modules, median self ms) of what the store's process imports (import of
    the app and first request) and the bare route's does not."""
    def modules(run: ColdRun) -> dict[str, int]:
        before, during = split(run.importtime)
        return {row.name: row.self_us for row in before + during}

    bare_modules = set().union(*(modules(r) for r in bare))
    per_run = []
    for run in store:
        extra: dict[str, list[int]] = {}
        for name, us in modules(run).items():
            if name not in bare_modules:
                extra.setdefault(package(name), []).append(us)
        per_run.append(extra)
    names = {k for d in per_run for k in d}
    return {k: (statistics.median(len(d.get(k, [])) for d in per_run),
                statistics.median(sum(d.get(k, [])) / 1000 for d in per_run)) for k in names}


def library_shares(runs: list[ColdRun]) -> dict[str, tuple[float, float, float | None]]:
    """label -> medians of (ms its import took in the first request, that as a share of the
    run's cold start, its first use in ms or None), for LIBRARIES the first request imported."""
    found = {}
    for label, packages in LIBRARIES.items():
        ms = [library_us(split(r.importtime)[1], packages) / 1000 for r in runs]
        if not any(ms):
            continue
        share = statistics.median(m / r.answered_ms for m, r in zip(ms, runs))
        uses = [r.first_uses_ms[label] for r in runs if label in r.first_uses_ms]
        found[label] = (statistics.median(ms), share, statistics.median(uses) if uses else None)
    return found


def first_use_medians(breakdown: Breakdown) -> list[tuple[str, float | None]]:
    labels = [label for label, _ in breakdown.first_uses[0]]
    medians = []
    for i, label in enumerate(labels):
        values = [run[i][1] for run in breakdown.first_uses if run[i][1] is not None]
        medians.append((label, statistics.median(values) if values else None))
    return medians


PLUMBING = ("<frozen importlib._bootstrap", "builtins.exec>", "builtins.__import__>")


def profile_rows(profile: list, count: int = 12) -> tuple[list, list]:
    """The biggest entries by cumulative time below the dispatch chain (entries within 10%
    of the whole request say only "Chalice called the view"), and by own time. The import
    machinery is one entry: importlib's _find_and_load, all of the imports."""
    if not profile:
        return [], []
    whole = max(r[2] for r in profile)
    imports = [r for r in profile if r[0].endswith("(_find_and_load)")]
    rows = [r for r in profile if not any(part in r[0] for part in PLUMBING) and r[2] < 0.9 * whole]
    cumulative = sorted(rows + imports[:1], key=lambda r: -r[2])[:count]
    own = sorted(profile, key=lambda r: -r[3])[:count]
    return cumulative, own
