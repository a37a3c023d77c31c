"""The deployed package: its zip size, what takes the room, and importing `app` from the
unpacked zip in a bare interpreter (only the zip and what Lambda's runtime provides on the
path) against `import boto3` the same way; medians of interleaved runs."""
from __future__ import annotations

import collections
import statistics
import subprocess
import sys
import tempfile
import zipfile
from pathlib import Path

from bench.environment import ROOT

LAMBDA_RUNTIME = ("boto3", "botocore", "jmespath", "s3transfer", "dateutil", "six.py", "urllib3")


def _build(folder: Path) -> Path:
    env = {"PATH": "/usr/bin:/bin", "HOME": str(folder), "AWS_DEFAULT_REGION": "us-east-1"}
    subprocess.run([sys.executable, "infra/merge_template.py", "prod", str(folder / "merge.json")], cwd=ROOT,
                   env=env, check=True, capture_output=True)
    subprocess.run([str(Path(sys.executable).parent / "chalice"), "package", "--stage", "prod", "--merge-template",
                    str(folder / "merge.json"), str(folder / "out")], cwd=ROOT, env=env, check=True,
                   capture_output=True, timeout=900)
    return folder / "out" / "deployment.zip"


def _import_ms(module: str, paths: list[Path], env: dict) -> float:
    probe = f"import sys; sys.path[:0] = {[str(p) for p in paths]!r}; import {module}"
    done = subprocess.run([sys.executable, "-I", "-S", "-X", "importtime", "-c", probe], env=env,
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
    import boto3

    from local_stage import emulator

    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        archive = _build(folder)
        unpacked, runtime = folder / "unpacked", folder / "runtime"
        with zipfile.ZipFile(archive) as opened:
            opened.extractall(unpacked)
            room = collections.Counter()
            for entry in opened.infolist():
                room[entry.filename.split("/")[0]] += entry.compress_size
        runtime.mkdir()
        site = Path(boto3.__file__).parent.parent
        for name in LAMBDA_RUNTIME:
            (runtime / name).symlink_to(site / name)
        env = {"PATH": "/usr/bin:/bin", "AWS_DEFAULT_REGION": "us-east-1", **emulator.stage_environment("prod")}
        times: dict[str, list[float]] = {"app": [], "boto3": []}
        for n in range(warmups + runs):
            for module, paths in (("app", [unpacked, runtime]), ("boto3", [runtime])):
                ms = _import_ms(module, paths, env)
                if n >= warmups:
                    times[module].append(ms)
        return {
            "zip_bytes": archive.stat().st_size,
            "room": room.most_common(5),
            "app_ms": statistics.median(times["app"]),
            "boto3_ms": statistics.median(times["boto3"]),
        }
