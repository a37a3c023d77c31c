"""The package ships bytecode for the API function's cold path: compiled for the deployed
runtime's Python, in unchecked-hash mode, for exactly the modules its first requests import;
and a fresh interpreter of that runtime imports the app from the read-only unpacked zip
without compiling any of it or writing anything."""
from __future__ import annotations

import json
import subprocess
import zipfile
from pathlib import Path

import pytest

from infra import cold_path, read_only
from local_stage import emulator
from tests.deploy.conftest import COMPILE_SPY

UNCHECKED_HASH = 0b01  # PEP 552 flags: hash-based (bit 0), source not checked (bit 1 clear)
# One module each of the four first requests must have loaded, and some they never load.
COLD = ("app", "chalicelib.http", "functions.signup", "functions.home", "shared.user_agents", "functions.sessions",
        "functions.processor_callbacks", "pydantic.main", "jinja2.environment", "stripe._webhook")
NOT_COLD = ("functions.contests", "functions.mail_outbox", "functions.surveys", "shared.mail.render")


def _facts(python: str) -> tuple[str, bytes]:
    done = subprocess.run([python, "-I", "-c", "import sys, importlib.util; "
                           "print(sys.implementation.cache_tag, importlib.util.MAGIC_NUMBER.hex())"],
                          capture_output=True, text=True, check=True, timeout=60)
    tag, magic = done.stdout.split()
    return tag, bytes.fromhex(magic)


@pytest.fixture(scope="module")
def report(package) -> dict:
    return json.loads((package / "bytecode.json").read_text())


def test_the_zip_holds_unchecked_hash_bytecode_of_the_runtimes_python_for_the_cold_path_only(package, report,
                                                                                           runtime_python):
    template = json.loads((package / "sam.json").read_text())
    runtime = template["Resources"]["APIHandler"]["Properties"]["Runtime"]
    tag, magic = _facts(runtime_python)
    assert runtime == report["runtime"] and tag == f"cpython-{runtime.removeprefix('python').replace('.', '')}"
    with zipfile.ZipFile(package / "deployment.zip") as archive:
        names = set(archive.namelist())
        bytecode = {name: archive.read(name) for name in names if name.endswith(".pyc")}
        listed = archive.read("chalicelib/cold_path.txt").decode().split()
    assert listed == report["modules"]
    assert set(COLD) <= set(listed) and not set(NOT_COLD) & set(listed)
    assert set(bytecode) == set(report["compiled"].values()) and len(bytecode) > 200
    for source, compiled in report["compiled"].items():
        assert source in names
        assert compiled == f"{Path(source).parent / '__pycache__' / Path(source).stem}.{tag}.pyc".removeprefix("./")
        header = bytecode[compiled][:16]
        assert header[:4] == magic, compiled
        assert int.from_bytes(header[4:8], "little") == UNCHECKED_HASH, compiled
    for module in NOT_COLD:
        assert f"{module.replace('.', '/').rsplit('/', 1)[0]}/__pycache__/{module.rsplit('.', 1)[1]}.{tag}.pyc" \
            not in names, module


# Runs in the runtime's interpreter: what `import app` compiled from the unpacked zip, and
# where the app's own code came from.
PROBE = COMPILE_SPY + """
sys.path[:0] = [sys.argv[1], sys.argv[2]]
import app
print(json.dumps({"compiled": [p for p in compiled if p.startswith(sys.argv[1])], "cached": app.__cached__,
                  "dont_write_bytecode": sys.dont_write_bytecode}))
"""


def _import_app(python: str, unpacked: Path, runtime: Path, cwd: Path) -> dict:
    env = {"PATH": "/usr/bin:/bin", "AWS_DEFAULT_REGION": "us-east-1", **emulator.stage_environment("prod")}
    done = subprocess.run(read_only.command([python, "-I", "-S", "-c", PROBE, str(unpacked), str(runtime)]),
                          env=env, capture_output=True, text=True, timeout=120, cwd=cwd)
    assert done.returncode == 0, done.stderr[-3000:]
    return json.loads(done.stdout.splitlines()[-1])


def test_the_runtime_imports_the_app_from_the_read_only_zip_from_bytecode_and_writes_nothing(package, runtime_python,
                                                                                           tmp_path):
    runtime = cold_path.runtime_folder(runtime_python, tmp_path / "runtime")
    shipped = read_only.unpack(package / "deployment.zip", tmp_path / "shipped")
    bare = read_only.unpack(package / "deployment.zip", tmp_path / "bare", bytecode=False)
    try:
        before = read_only.tree(shipped), read_only.tree(bare)
        with_bytecode = _import_app(runtime_python, shipped, runtime, tmp_path)
        without = _import_app(runtime_python, bare, runtime, tmp_path)
        again = _import_app(runtime_python, bare, runtime, tmp_path)
        assert (read_only.tree(shipped), read_only.tree(bare)) == before  # nothing written, nothing touched
    finally:
        read_only.remove(shipped)
        read_only.remove(bare)
    assert with_bytecode["dont_write_bytecode"] is False  # a writable folder would have been written to
    assert with_bytecode["compiled"] == [], with_bytecode["compiled"][:10]
    assert with_bytecode["cached"] == str(shipped / "__pycache__" / f"app.{_facts(runtime_python)[0]}.pyc")
    # The probe sees compiles: without the bytecode, the same import compiles the app every time.
    assert str(bare / "app.py") in without["compiled"] and len(without["compiled"]) > 30
    assert again["compiled"] == without["compiled"]
