"""Figure 1: `import app` against `import boto3`, each in a fresh interpreter under
`python -X importtime -c "import X"`.

The figure for one run is the sum of the cumulative microseconds of the command's
level-0 lines (module name without leading spaces). Interpreter start-up imports
(encodings, site, ...) are also level-0 lines; they come first and end with `site`, so
only level-0 lines after that one belong to the command.
"""
from __future__ import annotations

import subprocess
import sys
from dataclasses import dataclass

from bench.environment import ROOT, child_environment


@dataclass
class ImportRun:
    module: str
    microseconds: int
    top_level: list[tuple[str, int]]  # (module, cumulative us) of the command's level-0 lines


@dataclass(frozen=True)
class Row:
    """One line of -X importtime: a module, its nesting depth, its own and cumulative us."""

    name: str
    depth: int
    self_us: int
    cumulative_us: int


def parse_lines(lines: list[str]) -> list[Row]:
    """Every import line among these, in output order (the header and other lines skipped)."""
    rows: list[Row] = []
    for line in lines:
        if not line.startswith("import time:"):
            continue
        parts = line[len("import time:"):].split("|")
        if len(parts) != 3:
            continue
        try:
            own, cumulative = int(parts[0]), int(parts[1])
        except ValueError:  # the header line
            continue
        name_field = parts[2][1:]  # the format puts one space after "|", then 2 per level
        depth = (len(name_field) - len(name_field.lstrip(" "))) // 2
        rows.append(Row(name_field.strip(), depth, own, cumulative))
    return rows


def after_site(rows: list[Row]) -> list[Row]:
    """The rows after the top-level `site` line: interpreter start-up imports come before it."""
    site = [i for i, row in enumerate(rows) if row.depth == 0 and row.name == "site"]
    if not site:
        raise RuntimeError("no top-level `site` line in -X importtime output; cannot split start-up from the command")
    return rows[site[-1] + 1:]


def parse_rows(stderr: str) -> list[tuple[str, int, int]]:
    """(name, depth, cumulative us) of every import the command made, in output order.

    -X importtime prints an import when it finishes, so a module's children come before it
    and everything after the top-level `site` line belongs to the command."""
    return [(row.name, row.depth, row.cumulative_us) for row in after_site(parse_lines(stderr.splitlines()))]


def parse(stderr: str) -> list[tuple[str, int]]:
    """The command's level-0 (name, cumulative us) lines."""
    return [(name, us) for name, depth, us in parse_rows(stderr) if depth == 0]


def _run(module: str) -> str:
    completed = subprocess.run(
        [sys.executable, "-X", "importtime", "-c", f"import {module}"],
        cwd=ROOT,
        env=child_environment(),
        capture_output=True,
        text=True,
        timeout=60,
    )
    if completed.returncode != 0:
        raise RuntimeError(f"`import {module}` failed:\n{completed.stderr[-3000:]}")
    return completed.stderr


def measure_once(module: str) -> ImportRun:
    top = parse(_run(module))
    if not any(name == module for name, _ in top):
        raise RuntimeError(f"`import {module}` did not show as a top-level import line")
    return ImportRun(module, sum(us for _, us in top), top)


def measure(modules: tuple[str, ...] = ("app", "boto3"), runs: int = 5, warmups: int = 2) -> dict[str, list[ImportRun]]:
    """`runs` measured runs of each module after `warmups` discarded ones, interleaved so
    that machine noise falls on both alike."""
    for _ in range(warmups):
        for module in modules:
            measure_once(module)
    results: dict[str, list[ImportRun]] = {m: [] for m in modules}
    for _ in range(runs):
        for module in modules:
            results[module].append(measure_once(module))
    return results


def heaviest_imports(module: str, count: int = 6) -> list[tuple[str, int]]:
    """(name, cumulative us) of the biggest direct imports of `module`, one run, for the report."""
    rows = parse_rows(_run(module))
    children = [(name, us) for name, depth, us in rows if depth == 1]
    return sorted(children, key=lambda r: -r[1])[:count]


def find(module: str, wanted: tuple[str, ...]) -> dict[str, int]:
    """Which of `wanted` (top-level package names) `import module` loads, with the largest
    cumulative us seen for any of their modules; for the report."""
    found: dict[str, int] = {}
    for name, _, us in parse_rows(_run(module)):
        package = name.split(".")[0]
        if package in wanted:
            found[package] = max(found.get(package, 0), us)
    return found
