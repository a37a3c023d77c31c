"""The unpacked zip as Lambda holds it, read-only, for the tests and the benchmark.

Lambda's code folder cannot be written, so an import that finds no valid bytecode there
compiles the source and keeps nothing. Clearing the write bits is not enough here: root
writes anyway (CAP_DAC_OVERRIDE), and machines here run as root. So an interpreter meant
to meet a read-only folder runs through `command()`, which for root drops every capability
first (util-linux's setpriv); the permission bits then hold for it too.
"""
from __future__ import annotations

import os
import shutil
import stat
import zipfile
from pathlib import Path


def unpack(archive: Path, folder: Path, bytecode: bool = True) -> Path:
    """The zip unpacked into folder (without its .pyc files unless bytecode), then read-only."""
    with zipfile.ZipFile(archive) as opened:
        for entry in opened.infolist():
            if bytecode or not entry.filename.endswith(".pyc"):
                opened.extract(entry, folder)
    for path in [folder, *folder.rglob("*")]:
        if not path.is_symlink():
            path.chmod(path.stat().st_mode & ~(stat.S_IWUSR | stat.S_IWGRP | stat.S_IWOTH))
    return folder


def remove(folder: Path) -> None:
    """Delete a folder unpack() made."""
    for path in [folder, *folder.rglob("*")]:
        if path.is_dir() and not path.is_symlink():
            path.chmod(path.stat().st_mode | stat.S_IWUSR)
    shutil.rmtree(folder)


def command(argv: list[str]) -> list[str]:
    """argv, run so that a read-only folder is read-only to it even if this is root."""
    if os.geteuid() != 0:
        return argv
    setpriv = shutil.which("setpriv") or "/usr/bin/setpriv"
    if not Path(setpriv).exists():
        raise RuntimeError("running as root needs util-linux's setpriv to meet a read-only folder as Lambda does")
    return [setpriv, "--bounding-set=-all", "--inh-caps=-all", *argv]


def tree(folder: Path) -> dict[str, tuple[int, int]]:
    """Every path under folder with its size and modification time: compare two to see a write."""
    return {str(path.relative_to(folder)): (path.lstat().st_size, path.lstat().st_mtime_ns)
            for path in [folder, *folder.rglob("*")]}
