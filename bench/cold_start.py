"""Figure 2: process start to first successful response, the store's signup against a
bare Chalice app doing one put_item, both against the emulator running in this process."""
from __future__ import annotations

import json
import subprocess
import sys
import time
import uuid
from dataclasses import dataclass

from bench._cold_child import MARKER
from bench.environment import ROOT, child_environment


@dataclass
class ColdRun:
    app: str
    entered_ms: float  # interpreter start-up, until the child's first line ran
    imported_ms: float  # ... until the app module was imported
    answered_ms: float  # ... until the first response was back: the figure
    loaded_by_request: list[str]  # installed packages the first request imported


def spawn(child: str, *args: str) -> dict:
    """Run a child module in a fresh interpreter (BENCH_T0_NS read just before the spawn)
    and return its RESULT line."""
    env = child_environment()
    argv = [sys.executable, "-m", child, *args]
    env["BENCH_T0_NS"] = str(time.monotonic_ns())
    completed = subprocess.run(argv, cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)
    lines = [line for line in completed.stdout.splitlines() if line.startswith(MARKER)]
    if completed.returncode != 0 or not lines:
        raise RuntimeError(f"{child} {' '.join(args)} failed (exit {completed.returncode}):\n"
                           f"{completed.stdout[-2000:]}\n{completed.stderr[-3000:]}")
    return json.loads(lines[-1][len(MARKER):])


def run_once(which: str) -> ColdRun:
    result = spawn("bench._cold_child", which, uuid.uuid4().hex[:12])
    if result["status"] != result["expected"]:
        raise RuntimeError(f"cold start of {which}: status {result['status']}, expected {result['expected']}: "
                           f"{result['body']}")
    return ColdRun(which, result["entered_ns"] / 1e6, result["imported_ns"] / 1e6, result["answered_ns"] / 1e6,
                   result["loaded_by_request"])


def measure(runs: int = 5, warmups: int = 1) -> dict[str, list[ColdRun]]:
    """Interleaved signup/bare runs; the warm-ups (discarded) compile bytecode and fill the
    page cache so that every measured run starts from the same state."""
    apps = ("signup", "bare")
    for _ in range(warmups):
        for which in apps:
            run_once(which)
    results: dict[str, list[ColdRun]] = {a: [] for a in apps}
    for _ in range(runs):
        for which in apps:
            results[which].append(run_once(which))
    return results
