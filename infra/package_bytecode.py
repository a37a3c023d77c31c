"""Ship bytecode for the API function's cold path in the package chalice wrote:
`python -m infra.package_bytecode OUT --stage STAGE --python RUNTIME_PYTHON`.

Lambda unpacks the zip into a read-only folder, so a module without valid bytecode there
is compiled from source on every cold start, and the result is thrown away. Compiling every
module would take the zip from about 9 to 16 MB; so only the modules a fresh API function
imports to serve its first requests are compiled, found by running those requests
(infra/cold_path.py) rather than listed by hand.

Each is compiled by the deployed runtime's own interpreter (the bytecode format and the
file name, `__pycache__/<module>.cpython-3XX.pyc`, are per Python version) in
unchecked-hash mode: the import system takes such a file without looking at the source's
timestamp or hash, so the zip's timestamps do not matter, and nothing is read twice.

The zip is written anew: chalice copies the working tree's `__pycache__` folders, whose
timestamp-based files are for whatever Python ran the code here last and never valid in
Lambda; those are dropped. The list of cold-path modules goes into the zip as
chalicelib/cold_path.txt (the before-snapshot hook imports them) and, with what was
compiled and which interpreter compiled it (the runtime's, normally .venv-package's), into
OUT/bytecode.json. Any failure stops the packaging.
"""
from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import zipfile
from pathlib import Path

COLD_PATH_LIST = "chalicelib/cold_path.txt"
UNCHECKED_HASH_FLAGS = 0b01  # PEP 552: hash-based, do not check the source
ZIP_EPOCH = (1980, 1, 1, 0, 0, 0)
FILE_MODE = 0o100644  # a regular file, readable by the runtime's user

# Run by the runtime's interpreter: compile each listed source (relative to the folder) in
# place, where the import system looks for it; print {source: bytecode file}.
_COMPILE = """
import importlib.util, json, py_compile, sys
folder = sys.argv[1]
compiled = {}
for source in json.load(sys.stdin):
    target = importlib.util.cache_from_source(folder + "/" + source)
    py_compile.compile(folder + "/" + source, cfile=target, dfile=source, doraise=True,
                       invalidation_mode=py_compile.PycInvalidationMode.UNCHECKED_HASH)
    compiled[source] = target[len(folder) + 1:]
print(json.dumps(compiled))
"""
_FACTS = ("import importlib.util, json, sys; print(json.dumps([list(sys.version_info[:2]), "
          "sys.implementation.cache_tag, importlib.util.MAGIC_NUMBER.hex()]))")


def interpreter(python: str) -> tuple[str, str, bytes]:
    """(Lambda runtime name, cache tag, bytecode magic number) of an interpreter."""
    facts = subprocess.run([python, "-I", "-c", _FACTS], capture_output=True, text=True, check=True, timeout=60)
    (major, minor), tag, magic = json.loads(facts.stdout)
    return f"python{major}.{minor}", tag, bytes.fromhex(magic)


def compile_sources(python: str, folder: Path, sources: list[str]) -> dict[str, str]:
    done = subprocess.run([python, "-I", "-S", "-c", _COMPILE, str(folder)], input=json.dumps(sources),
                          capture_output=True, text=True, timeout=600)
    if done.returncode != 0:
        raise RuntimeError(f"compiling the cold path failed:\n{done.stderr[-3000:]}")
    return json.loads(done.stdout)


def _runtime_of(sam: Path) -> str:
    return json.loads(sam.read_text())["Resources"]["APIHandler"]["Properties"]["Runtime"]


def rewrite(archive: Path, folder: Path, compiled: dict[str, str], cold_path: list[str]) -> int:
    """The zip without stale bytecode, with the new bytecode and the cold-path list; returns
    how many stale files were dropped."""
    written = archive.with_suffix(".new.zip")
    dropped = 0
    with zipfile.ZipFile(archive) as old, zipfile.ZipFile(written, "w", zipfile.ZIP_DEFLATED) as new:
        for entry in old.infolist():
            if entry.filename.endswith(".pyc"):
                dropped += 1
                continue
            if entry.filename == COLD_PATH_LIST:
                raise RuntimeError(f"{COLD_PATH_LIST} is in the source tree; make package writes it")
            new.writestr(entry, old.read(entry))
        added = {target: (folder / target).read_bytes() for target in compiled.values()}
        added[COLD_PATH_LIST] = ("\n".join(cold_path) + "\n").encode()
        for name, data in sorted(added.items()):
            entry = zipfile.ZipInfo(name, date_time=ZIP_EPOCH)
            entry.create_system = 3  # unix, so the mode below is honoured
            entry.external_attr = FILE_MODE << 16
            entry.compress_type = zipfile.ZIP_DEFLATED
            new.writestr(entry, data)
    written.replace(archive)
    return dropped


def ship_bytecode(out: Path, stage: str, python: str) -> dict:
    from infra import cold_path

    archive = out / "deployment.zip"
    runtime, tag, magic = interpreter(python)
    if _runtime_of(out / "sam.json") != runtime:
        raise RuntimeError(f"the template says {_runtime_of(out / 'sam.json')} but {python} is {runtime}: "
                           "package with the interpreter of the deployed runtime")
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp) / "unpacked"
        with zipfile.ZipFile(archive) as opened:
            opened.extractall(folder)
        modules = cold_path.record(folder, python, stage)
        names = [name for name, _ in modules["imported"]]
        if "app" not in names or not any(name.startswith("functions.") for name in names):
            raise RuntimeError(f"the cold path holds neither app nor a use case: {names}")
        sources = sorted({path for _, path in modules["imported"] + modules["loaded"] if path.endswith(".py")})
        compiled = compile_sources(python, folder, sources)
        for source, target in compiled.items():
            header = (folder / target).read_bytes()[:8]
            if header[:4] != magic or int.from_bytes(header[4:8], "little") != UNCHECKED_HASH_FLAGS:
                raise RuntimeError(f"{target} is not unchecked-hash bytecode for {runtime}")
            if Path(target).name != f"{Path(source).stem}.{tag}.pyc":
                raise RuntimeError(f"{target} is not where {runtime} looks for {source}'s bytecode")
        dropped = rewrite(archive, folder, compiled, names)
    failed = sorted({name for name, _ in modules["loaded"]} - set(names))
    report = {"runtime": runtime, "python": os.path.abspath(python), "cache_tag": tag, "magic": magic.hex(),
              "modules": names, "loaded_but_not_imported": failed, "compiled": compiled,
              "dropped_stale_bytecode": dropped, "zip_bytes": archive.stat().st_size}
    (out / "bytecode.json").write_text(json.dumps(report, indent=1) + "\n")
    return report


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("out", type=Path, help="the folder chalice package wrote (deployment.zip, sam.json)")
    parser.add_argument("--stage", required=True)
    parser.add_argument("--python", required=True, help="the deployed runtime's interpreter")
    args = parser.parse_args()
    report = ship_bytecode(args.out, args.stage, args.python)
    print(f"bytecode for {len(report['compiled'])} cold-path modules ({report['cache_tag']}, unchecked hash); "
          f"dropped {report['dropped_stale_bytecode']} stale .pyc; {args.out / 'deployment.zip'} is "
          f"{report['zip_bytes'] / 1e6:.1f} MB")


if __name__ == "__main__":
    sys.exit(main())
