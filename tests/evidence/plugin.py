"""pytest plugin: the evidence report, out/evidence/index.html and evidence.json.

For each promise of docs/promises.md: the tests that name it (in their name, class name or
docstring, see promises.NAMED; parametrize ids and module docstrings do not count), each
test's result in this run, and the app code those tests ran (probes.py). A full run fails
when a promise has no passing test; a partial run (paths, -k, -m, deselection, --lf) writes
the report and warns. EVIDENCE_REQUIRED=1 enforces the promises on any run, =0 on none.
Registered by tests/conftest.py; `-p no:tests.evidence.plugin` turns it off. Not for
pytest-xdist runs (this suite runs in one process).
"""
from __future__ import annotations

import inspect
import json
import os
import platform
import re
import subprocess
import time
from datetime import datetime, timezone
from pathlib import Path

import pytest

from tests.evidence import probes as probing
from tests.evidence.promises import TABLE, named_promises, read_table
from tests.evidence.report import Run, TestRecord, evaluate, render_html

APP = ("app.py", "chalicelib", "functions", "shared", "infra")  # the store's own code
REPORT_DIR = Path("out") / "evidence"
REQUIRED = "EVIDENCE_REQUIRED"


def pytest_configure(config: pytest.Config) -> None:
    if hasattr(config, "workerinput") or config.getoption("numprocesses", None):
        return
    config.pluginmanager.register(Recorder(config), "evidence-recorder")


def _described(item: pytest.Item) -> tuple[str, str, list[str]]:
    """The test's name in words, its docstring, and the promises they name."""
    name = getattr(item, "originalname", None) or item.name
    classes = [node.name for node in item.listchain() if isinstance(node, pytest.Class)]
    function = getattr(item, "function", None)
    doc = inspect.cleandoc(function.__doc__) if function is not None and function.__doc__ else ""
    words = re.sub(r"^(?:p\d\d_)+", "", re.sub(r"^test_?", "", name), flags=re.IGNORECASE).replace("_", " ").strip()
    words = " › ".join([*classes, words[:1].upper() + words[1:]])
    callspec = getattr(item, "callspec", None)
    if callspec is not None:
        words += f" [{callspec.id}]"
    return words, doc, named_promises(name, *classes, doc)


def _message(report: pytest.TestReport) -> str:
    if report.skipped and isinstance(report.longrepr, tuple):
        return str(report.longrepr[2]).removeprefix("Skipped: ")
    crash = getattr(report.longrepr, "reprcrash", None)
    text = crash.message if crash is not None else str(report.longrepr or "")
    line = text.strip().splitlines()[0] if text.strip() else ""
    return line if len(line) <= 300 else line[:297] + "..."


def _git(root: Path, *args: str) -> str:
    try:
        done = subprocess.run(["git", *args], cwd=root, capture_output=True, text=True, timeout=20)
    except (OSError, subprocess.SubprocessError):
        return ""
    return done.stdout.strip() if done.returncode == 0 else ""


class Recorder:
    def __init__(self, config: pytest.Config) -> None:
        self.config = config
        self.root = config.rootpath
        self.table = self.root / TABLE
        self.promises = read_table(self.table) if self.table.is_file() else []
        self.tests: dict[str, TestRecord] = {}
        self.deselected = 0
        self.collection_errors = 0
        self.started = time.time()
        self.evidence: dict | None = None
        self.failed_gate = False
        self.probes = probing.install(self.root, APP)

    # -- collection ------------------------------------------------------------------------
    def pytest_deselected(self, items: list[pytest.Item]) -> None:
        self.deselected += len(items)

    def pytest_collectreport(self, report: pytest.CollectReport) -> None:
        if report.failed:
            self.collection_errors += 1

    def pytest_collection_finish(self, session: pytest.Session) -> None:
        for item in session.items:
            words, doc, promises = _described(item)
            path, line0, _ = item.location
            self.tests[item.nodeid] = TestRecord(item.nodeid, words, doc, Path(path).as_posix(),
                                                 (line0 or 0) + 1, promises)

    # -- running ---------------------------------------------------------------------------
    @pytest.hookimpl(wrapper=True)
    def pytest_runtest_protocol(self, item: pytest.Item, nextitem):
        if self.probes is not None:
            self.probes.hits.clear()
        try:
            return (yield)
        finally:
            if self.probes is not None and item.nodeid in self.tests:
                self.tests[item.nodeid].code = self.probes.take()

    @pytest.hookimpl(wrapper=True)
    def pytest_fixture_setup(self, fixturedef, request):
        """What a module- or session-wide fixture runs to set itself up belongs to no one test:
        its hits are dropped (a function the test itself calls later is hit again)."""
        if self.probes is None or fixturedef.scope == "function":
            return (yield)
        before = set(self.probes.hits)
        try:
            return (yield)
        finally:
            self.probes.hits.intersection_update(before)

    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        test = self.tests.get(report.nodeid)
        if test is None:
            return
        test.seconds += report.duration
        expected_failure = hasattr(report, "wasxfail")
        if report.when == "setup":
            if report.failed:
                test.outcome, test.message = "error", _message(report)
            elif report.skipped:
                test.outcome, test.message = ("xfailed" if expected_failure else "skipped"), _message(report)
        elif report.when == "call":
            test.invariants = dict(report.user_properties).get("adversary_invariants", {})
            if report.passed:
                test.outcome = "xpassed" if expected_failure else "passed"
            elif report.failed:
                test.outcome, test.message = "failed", _message(report)
            else:
                test.outcome, test.message = ("xfailed" if expected_failure else "skipped"), _message(report)
        elif report.failed:  # teardown: an error there spoils a pass
            if test.outcome != "failed":
                test.outcome, test.message = "error", _message(report)

    # -- the report ------------------------------------------------------------------------
    def partial_reasons(self) -> list[str]:
        config, reasons = self.config, []
        if config.args_source == pytest.Config.ArgsSource.ARGS:
            given = {(config.invocation_params.dir / arg).resolve() for arg in config.args}
            full = {(self.root / path).resolve() for path in config.getini("testpaths")} or {self.root.resolve()}
            if given != full:
                reasons.append("paths given: " + " ".join(config.args))
        if config.option.keyword:
            reasons.append(f"-k {config.option.keyword}")
        if config.option.markexpr:
            reasons.append(f"-m {config.option.markexpr}")
        if self.deselected:
            reasons.append(f"{self.deselected} tests deselected")
        for flag, option in (("--lf", "lf"), ("--sw", "stepwise"), ("--ignore", "ignore"),
                             ("--ignore-glob", "ignore_glob")):
            if getattr(config.option, option, None):
                reasons.append(f"{flag} given")
        return reasons

    def pytest_sessionfinish(self, session: pytest.Session, exitstatus: int) -> None:
        if self.config.option.collectonly:
            return
        reasons = self.partial_reasons()
        wanted = os.environ.get(REQUIRED, "").strip()
        enforced = wanted == "1" or (wanted != "0" and not reasons)
        probes = self.probes
        commit = _git(self.root, "rev-parse", "--short=12", "HEAD") or "unknown"
        dirty = _git(self.root, "status", "--porcelain", "--untracked-files=no")
        run = Run(
            started=datetime.fromtimestamp(self.started, timezone.utc).strftime("%Y-%m-%d %H:%M:%S UTC"),
            seconds=time.time() - self.started, commit=commit,
            tree="with uncommitted changes" if dirty else "no uncommitted changes",
            versions=f"Python {platform.python_version()}, pytest {pytest.__version__}",
            full=not reasons, enforced=enforced, partial_reasons=reasons,
            collection_errors=self.collection_errors, tracing=probes is not None,
            traced_files=len(probes.instrumented) if probes else 0,
            stale_files=sorted(probes.stale) if probes else [],
            tracing_note=("Code listed under a promise is every function of the store's own files "
                          f"({', '.join(APP)}) that ran while one of its tests ran, in the test process, "
                          "its own fixtures included; what a fixture shared by several tests ran to set "
                          "itself up is left out. The browser tests drive a local stage in a "
                          "separate process, whose code is not seen." if probes else
                          "The code the tests ran was not recorded in this run."))
        tests = list(self.tests.values())
        self.evidence = evaluate(self.promises, tests, probes.sites if probes else [], run)
        folder = self.root / REPORT_DIR
        folder.mkdir(parents=True, exist_ok=True)
        to_root = Path(os.path.relpath(self.root, folder)).as_posix()
        (folder / "evidence.json").write_text(json.dumps(self.evidence, separators=(",", ":")), encoding="utf-8")
        (folder / "index.html").write_text(render_html(self.evidence, to_root), encoding="utf-8")
        self.failed_gate = enforced and (not self.promises or bool(self.evidence["totals"]["not_proven"]))
        if self.failed_gate and session.exitstatus == pytest.ExitCode.OK:
            session.exitstatus = pytest.ExitCode.TESTS_FAILED

    def pytest_terminal_summary(self, terminalreporter) -> None:
        evidence = self.evidence
        if evidence is None:
            return
        write = terminalreporter.write_line
        totals, run = evidence["totals"], evidence["run"]
        path = (self.root / REPORT_DIR / "index.html").relative_to(self.root)
        terminalreporter.write_sep("-", "evidence report")
        if not self.promises:
            write(f"no promise table at {self.table}", red=True)
        write(f"{path}: {totals['proven']} of {totals['promises']} promises proven, "
              f"{totals['tests_naming_a_promise']} tests name a promise "
              f"({'full run' if run['full'] else 'partial run: ' + '; '.join(run['partial_reasons'])})")
        unproven = [row for row in evidence["promises"] if not row["proven"]]
        if run["full"] or self.failed_gate:
            for row in unproven:
                write(f"  NOT proven: {row['id']} {row['title']}: {row['reason']}",
                      red=self.failed_gate, yellow=not self.failed_gate)
        elif unproven:
            write(f"  NOT proven by the selected tests: {', '.join(row['id'] for row in unproven)}", yellow=True)
        for pid, nodeids in sorted(evidence["unknown_promises"].items()):
            write(f"  {len(nodeids)} tests name {pid}, which the promise table does not have", yellow=True)
        if self.failed_gate:
            missing = ", ".join(totals["not_proven"]) or "the promise table"
            write(f"FAILED: a full run needs a passing test for every promise; not proven: {missing}",
                  red=True, bold=True)
        elif totals["not_proven"]:
            write(f"(not enforced: {'; '.join(run['partial_reasons']) or REQUIRED + '=0'})", yellow=True)
        if self.probes is not None and self.probes.stale:
            write(f"  not traced, edited during the run: {', '.join(sorted(self.probes.stale))}", yellow=True)

