"""The packaged stage, built once per run for every deploy test."""
from __future__ import annotations

import os
import subprocess
import zipfile
import sys
from pathlib import Path

import pytest

from local_stage import emulator

ROOT = emulator.ROOT


def stage_env(**extra) -> dict:
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_ENDPOINT")}
    return {**env, "AWS_DEFAULT_REGION": "us-east-1", **extra}


@pytest.fixture(scope="session")
def package(tmp_path_factory) -> Path:
    """`make package STAGE=prod`, into a folder of the test's own."""
    out = tmp_path_factory.mktemp("package")
    subprocess.run([sys.executable, "infra/merge_template.py", "prod", str(out / "merge.json")], cwd=ROOT, check=True,
                   env=stage_env(), capture_output=True)
    built = subprocess.run([str(Path(sys.executable).parent / "chalice"), "package", "--stage", "prod",
                            "--merge-template", str(out / "merge.json"), str(out / "prod")],
                           cwd=ROOT, env=stage_env(), capture_output=True, text=True, timeout=900)
    assert built.returncode == 0, built.stderr[-3000:]
    return out / "prod"


@pytest.fixture(scope="session")
def unpacked(package, tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("unpacked")
    with zipfile.ZipFile(package / "deployment.zip") as archive:
        archive.extractall(folder)
    return folder
