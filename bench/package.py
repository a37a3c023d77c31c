"""The deployed package: `make package STAGE=prod` (with the cold path's bytecode), its zip
size and what takes the room, and importing `app` from the unpacked zip as Lambda holds it
(a read-only folder: no bytecode is written there, and none is kept) with the shipped
bytecode and without it, against `import boto3` the same way. Each import runs in a bare
interpreter of the deployed runtime's Python (only the zip and what Lambda's runtime
provides on the path), which is not the bench's own; medians of interleaved runs."""
from __future__ import annotations

import collections
import statistics
import subprocess
import tempfile
import zipfile
from pathlib import Path

from bench.environment import ROOT
from infra import cold_path, read_only

PACKAGE_VENV = ROOT / ".venv-package"
ZIP_GOAL_MB = 12.0


def _build(folder: Path) -> Path:
    """`make package STAGE=prod` into folder; the bench's own virtual environment is taken as it is."""
    env = {"PATH": "/usr/bin:/bin", "HOME": str(folder), "AWS_DEFAULT_REGION": "us-east-1"}
    command = ["make", "--no-print-directory", "-o", ".venv/.installed", "package", "STAGE=prod",
               f"PACKAGE_OUT={folder / 'out'}"]
    built = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True, timeout=900)
    if built.returncode != 0:
        raise RuntimeError(f"make package failed:\n{built.stdout[-2000:]}\n{built.stderr[-2000:]}")
    return folder / "out" / "deployment.zip"


def _import_ms(python: str, module: str, paths: list[Path], env: dict) -> float:
    probe = f"import sys; sys.path[:0] = {[str(p) for p in paths]!r}; import {module}"
    done = subprocess.run(read_only.command([python, "-I", "-S", "-X", "importtime", "-c", probe]), env=env,
                          capture_output=True, text=True, timeout=120)
    if done.returncode != 0:
        raise RuntimeError(done.stderr[-2000:])
    # Under -S there is no `site` line to split on: take the module's own top-level line.
    for line in done.stderr.splitlines():
        parts = line.split("|")
        if line.startswith("import time:") and len(parts) == 3 and parts[2] == f" {module}":
            return int(parts[1]) / 1000
    raise RuntimeError(f"no top-level line for {module} in -X importtime output")


def measure(runs: int = 5, warmups: int = 2) -> dict:
    from local_stage import emulator

    python = str(PACKAGE_VENV / "bin" / "python")
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        archive = _build(folder)
        with zipfile.ZipFile(archive) as opened:
            room = collections.Counter()
            bytecode_files = 0
            for entry in opened.infolist():
                room[entry.filename.split("/")[0]] += entry.compress_size
                bytecode_files += entry.filename.endswith(".pyc")
        shipped = read_only.unpack(archive, folder / "shipped")
        bare = read_only.unpack(archive, folder / "bare", bytecode=False)
        runtime = cold_path.runtime_folder(python, folder / "runtime")
        version = subprocess.run([python, "-c", "import sys; print(sys.version.split()[0])"], capture_output=True,
                                 text=True, check=True).stdout.strip()
        # No PYTHON* variable (PYTHONDONTWRITEBYTECODE least of all): only the folder stops a write.
        env = {"PATH": "/usr/bin:/bin", "AWS_DEFAULT_REGION": "us-east-1", **emulator.stage_environment("prod")}
        before = read_only.tree(shipped), read_only.tree(bare)
        variants = {"app_ms": ("app", [shipped, runtime]), "app_no_bytecode_ms": ("app", [bare, runtime]),
                    "boto3_ms": ("boto3", [runtime])}
        times: dict[str, list[float]] = {name: [] for name in variants}
        try:
            for n in range(warmups + runs):
                for name, (module, paths) in variants.items():
                    ms = _import_ms(python, module, paths, env)
                    if n >= warmups:
                        times[name].append(ms)
            if (read_only.tree(shipped), read_only.tree(bare)) != before:
                raise RuntimeError("an import wrote into the read-only unpacked zip: the figures are not Lambda's")
        finally:
            read_only.remove(shipped)
            read_only.remove(bare)
        return {
            "zip_bytes": archive.stat().st_size,
            "room": room.most_common(5),
            "bytecode_files": bytecode_files,
            "python": version,
            **{name: statistics.median(values) for name, values in times.items()},
        }


def report(result: dict, row) -> None:
    """The package's rows, through row(label, text)."""
    from bench.report import goal_text

    megabytes = result["zip_bytes"] / 1e6
    row("deployed zip (with bytecode)",
        f"{megabytes:.1f} MB {goal_text(megabytes, ZIP_GOAL_MB, ' MB')}, {result['bytecode_files']} .pyc of the cold "
        "path; largest: " + ", ".join(f"{name} {size / 1e6:.1f} MB" for name, size in result["room"]))
    row("import app, read-only zip",
        f"bytecode {result['app_ms']:6.1f} ms  none {result['app_no_bytecode_ms']:6.1f} ms  "
        f"{result['app_no_bytecode_ms'] / result['app_ms']:.2f}x faster (Python {result['python']}, the runtime's)")
    row("import app from the zip vs boto3",
        f"app {result['app_ms']:6.1f} ms  boto3 {result['boto3_ms']:6.1f} ms  ratio "
        f"{result['app_ms'] / result['boto3_ms']:.2f}x (bare interpreter: the zip and Lambda's runtime only)")
