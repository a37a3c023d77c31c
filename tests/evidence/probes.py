"""Which of the app's functions a test ran, at almost no cost.

Tracing every call (sys.settrace) doubles the suite's time, and coverage.py is not among the
project's tools. Instead every function of the app's own files gets one statement at the top
of its body, `__evidence_probe__(<site number>)`, which adds the number to a set: a set.add
per app function call. The recorder empties the set before each test and keeps what it holds
after it.

The app is imported before the plugin is configured (tests/conftest.py imports it), so the
probes reach it two ways:
- modules already imported: each is compiled again from its file, once as it is and once with
  probes; a live function takes the probed code only if its code is exactly what the file
  compiles to now (a file edited since it was imported keeps its old, unprobed code);
- modules imported later: an import hook compiles them with probes (and writes no .pyc).

Only code run in this process is seen: the browser tests' local stage is a separate process.
"""
from __future__ import annotations

import ast
import gc
import importlib.machinery
import os
import sys
import types
from dataclasses import dataclass
from pathlib import Path

PROBE = "__evidence_probe__"


@dataclass(frozen=True)
class Site:
    """One function of the app: its file (relative to the root), qualified name and line."""

    path: str
    qualname: str
    line: int


class Probes:
    """The probes of one process: the sites, and the set of site numbers hit since take()."""

    def __init__(self, root: Path, parts: tuple[str, ...]) -> None:
        self.root = root.resolve()
        self.folders = tuple(str(self.root / p) + os.sep for p in parts if not p.endswith(".py"))
        self.files = frozenset(str(self.root / p) for p in parts if p.endswith(".py"))
        self.packages = frozenset(p.removesuffix(".py") for p in parts)  # top-level module names
        self.sites: list[Site] = []
        self.hits: set[int] = set()
        self.hit = self.hits.add
        self.instrumented: set[str] = set()  # relative paths
        self.stale: set[str] = set()  # relative paths of files edited since they were imported

    def covers(self, filename: str | None) -> bool:
        if not filename or not filename.endswith(".py"):
            return False
        filename = os.path.realpath(filename)
        return filename in self.files or filename.startswith(self.folders)

    def relative(self, filename: str) -> str:
        return Path(os.path.realpath(filename)).relative_to(self.root).as_posix()

    def take(self) -> frozenset[int]:
        taken = frozenset(self.hits)
        self.hits.clear()
        return taken

    def compile_probed(self, source: bytes, filename: str) -> types.CodeType:
        tree = ast.parse(source, filename)
        _Instrument(self, self.relative(filename)).visit(tree)
        ast.fix_missing_locations(tree)
        return compile(tree, filename, "exec", dont_inherit=True)


class _Instrument(ast.NodeTransformer):
    def __init__(self, probes: Probes, path: str) -> None:
        self.probes = probes
        self.path = path
        self.scope: list[str] = []

    def visit_ClassDef(self, node: ast.ClassDef) -> ast.ClassDef:
        self.scope.append(node.name)
        self.generic_visit(node)
        self.scope.pop()
        return node

    def _function(self, node: ast.FunctionDef | ast.AsyncFunctionDef) -> ast.AST:
        qualname = ".".join([*self.scope, node.name])
        self.scope += [node.name, "<locals>"]
        self.generic_visit(node)
        del self.scope[-2:]
        number = len(self.probes.sites)
        self.probes.sites.append(Site(self.path, qualname, node.lineno))
        body = node.body
        at = 1 if body and isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant) \
            and isinstance(body[0].value.value, str) else 0  # after the docstring
        anchor = body[at] if at < len(body) else body[-1]
        probe = ast.Expr(ast.Call(ast.Name(PROBE, ast.Load()), [ast.Constant(number)], []))
        for part in ast.walk(probe):
            ast.copy_location(part, anchor)
            part.end_lineno, part.end_col_offset = anchor.lineno, anchor.col_offset  # type: ignore[attr-defined]
        body.insert(at, probe)
        return node

    visit_FunctionDef = _function
    visit_AsyncFunctionDef = _function


def _codes(code: types.CodeType):
    for const in code.co_consts:
        if isinstance(const, types.CodeType):
            yield const
            yield from _codes(const)


def _probe_loaded(probes: Probes) -> None:
    files = {m.__file__ for m in list(sys.modules.values())
             if isinstance(getattr(m, "__file__", None), str) and probes.covers(m.__file__)}
    plain: dict[tuple[str, str, int], types.CodeType] = {}
    probed: dict[tuple[str, str, int], types.CodeType] = {}
    for filename in sorted(files):
        try:
            source = Path(filename).read_bytes()
        except OSError:  # deleted since it was imported
            probes.stale.add(probes.relative(filename))
            continue
        for target, code in ((plain, compile(source, filename, "exec", dont_inherit=True)),
                             (probed, probes.compile_probed(source, filename))):
            for inner in _codes(code):
                target[(filename, inner.co_qualname, inner.co_firstlineno)] = inner
        probes.instrumented.add(probes.relative(filename))
    for obj in gc.get_objects():
        if not isinstance(obj, types.FunctionType) or obj.__code__.co_filename not in files:
            continue
        code = obj.__code__
        key = (code.co_filename, code.co_qualname, code.co_firstlineno)
        if key in probed and plain.get(key) == code:
            obj.__globals__[PROBE] = probes.hit
            obj.__code__ = probed[key]
        elif not code.co_qualname.endswith("<lambda>"):
            probes.stale.add(probes.relative(code.co_filename))


class _ProbedLoader(importlib.machinery.SourceFileLoader):
    probes: Probes

    def get_code(self, fullname: str) -> types.CodeType:  # type: ignore[override]
        path = self.get_filename(fullname)
        self.probes.instrumented.add(self.probes.relative(path))
        return self.probes.compile_probed(self.get_data(path), path)

    def exec_module(self, module: types.ModuleType) -> None:
        module.__dict__[PROBE] = self.probes.hit
        super().exec_module(module)


class _ProbedFinder:
    def __init__(self, probes: Probes) -> None:
        self.probes = probes

    def find_spec(self, fullname, path=None, target=None):
        if fullname.partition(".")[0] not in self.probes.packages:
            return None
        spec = importlib.machinery.PathFinder.find_spec(fullname, path)
        if spec is None or not isinstance(spec.loader, importlib.machinery.SourceFileLoader) \
                or not self.probes.covers(spec.origin):
            return None
        loader = _ProbedLoader(fullname, spec.origin)
        loader.probes = self.probes
        spec.loader = loader
        return spec


_installed: Probes | None = None


def install(root: Path, parts: tuple[str, ...]) -> Probes | None:
    """Probe the app's files under root, once per process; None when another run in this
    process (a test of the plugin run inline) installed them already."""
    global _installed
    if _installed is not None:
        return None
    probes = _installed = Probes(root, parts)
    sys.meta_path.insert(0, _ProbedFinder(probes))
    _probe_loaded(probes)
    return probes
