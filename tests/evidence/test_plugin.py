"""The evidence plugin on small suites of its own (pytester): which tests count for a promise,
which results prove it, when a run fails for a promise without a passing test, what the
report says, and which code it lists."""
from __future__ import annotations

import json
import os
import textwrap
from pathlib import Path

import pytest

from tests.evidence.promises import named_promises

pytest_plugins = ["pytester"]

ROOT = Path(__file__).resolve().parents[2]
PLUGIN = ("-p", "tests.evidence.plugin")
TABLE = """\
# Promises

| ID | Title | What the store does |
|----|-------|---------------------|
| P01 | First promise | The first thing the store does. |
| P02 | Second promise | The second thing the store does. |
"""


@pytest.fixture
def suite(pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch) -> pytest.Pytester:
    """An empty project: a promise table of two promises and testpaths = t."""
    monkeypatch.delenv("EVIDENCE_REQUIRED", raising=False)
    (pytester.path / "docs").mkdir()
    (pytester.path / "docs" / "promises.md").write_text(TABLE)
    (pytester.path / "t").mkdir()
    pytester.makeini("[pytest]\ntestpaths = t\n")
    return pytester


def write_tests(pytester: pytest.Pytester, source: str, name: str = "test_suite.py") -> None:
    (pytester.path / "t" / name).write_text(textwrap.dedent(source))


def evidence(pytester: pytest.Pytester) -> dict:
    return json.loads((pytester.path / "out" / "evidence" / "evidence.json").read_text())


def promise(pytester: pytest.Pytester, pid: str) -> dict:
    return next(p for p in evidence(pytester)["promises"] if p["id"] == pid)


ONE_PROVEN = """
    def test_p01_the_first_thing_happens():
        assert True

    def test_something_else():
        assert True
"""


def test_a_full_run_fails_when_a_promise_has_no_passing_test_and_the_report_says_which(suite):
    write_tests(suite, ONE_PROVEN)

    result = suite.runpytest(*PLUGIN)

    assert result.ret == pytest.ExitCode.TESTS_FAILED
    result.stdout.fnmatch_lines(["*NOT proven: P02 Second promise: no test names it*",
                                 "*FAILED: a full run needs a passing test for every promise; not proven: P02*"])
    assert promise(suite, "P01")["verdict"] == "proven"
    assert promise(suite, "P02")["verdict"] == "NOT proven"
    page = (suite.path / "out" / "evidence" / "index.html").read_text()
    assert "1 of 2 promises proven" in page and "NOT proven: <strong>P02</strong>" in page
    assert "First promise" in page and "The second thing the store does." in page
    assert "<script" not in page and "http://" not in page and "https://" not in page


def test_a_full_run_with_every_promise_proven_passes_and_names_in_docstrings_count(suite):
    write_tests(suite, '''
        def test_p01_the_first_thing_happens():
            assert True

        def test_the_second_thing():
            """P02: the second thing happens."""
            assert True
    ''')

    result = suite.runpytest(*PLUGIN)

    assert result.ret == pytest.ExitCode.OK
    assert evidence(suite)["totals"]["proven"] == 2
    assert promise(suite, "P02")["tests"] == ["t/test_suite.py::test_the_second_thing"]


def test_a_failed_errored_or_skipped_test_proves_nothing(suite):
    write_tests(suite, '''
        import pytest

        @pytest.fixture
        def broken():
            raise RuntimeError("setup fails")

        @pytest.fixture
        def spoiled():
            yield
            raise RuntimeError("teardown fails")

        def test_p01_fails():
            assert False

        def test_p01_passes():
            assert True

        def test_p02_setup_error(broken):
            pass

        def test_p02_teardown_error(spoiled):
            pass

        @pytest.mark.skip(reason="not today")
        def test_p02_skipped():
            pass
    ''')

    result = suite.runpytest(*PLUGIN)

    assert result.ret == pytest.ExitCode.TESTS_FAILED
    outcomes = {t["name"]: t["outcome"] for t in evidence(suite)["tests"]}
    assert outcomes == {"Fails": "failed", "Passes": "passed", "Setup error": "error",
                        "Teardown error": "error", "Skipped": "skipped"}
    assert promise(suite, "P01")["reason"] == "1 of its 2 tests failed"
    assert promise(suite, "P02")["reason"] == "2 of its 3 tests failed"
    assert evidence(suite)["totals"]["not_proven"] == ["P01", "P02"]


def test_skipped_or_expected_failures_alone_leave_a_promise_not_proven(suite):
    write_tests(suite, '''
        import pytest

        def test_p01_passes():
            pass

        @pytest.mark.xfail(reason="known")
        def test_p02_expected_to_fail():
            assert False

        @pytest.mark.xfail(reason="known")
        def test_p02_unexpectedly_passes():
            pass

        def test_p02_skips_itself():
            pytest.skip("not today")
    ''')

    assert suite.runpytest(*PLUGIN).ret == pytest.ExitCode.TESTS_FAILED
    assert promise(suite, "P02")["reason"] == "none of its 3 tests passed (1 skipped, 1 xfailed, 1 xpassed)"


@pytest.mark.parametrize("selection", [["-k", "first"], ["-m", "not slow"], ["t/test_suite.py"],
                                       ["t/test_suite.py::test_p01_the_first_thing_happens"],
                                       ["--deselect", "t/test_suite.py::test_something_else"]])
def test_a_partial_run_writes_the_report_and_warns_without_failing(suite, selection):
    write_tests(suite, ONE_PROVEN)

    result = suite.runpytest(*PLUGIN, *selection)

    assert result.ret == pytest.ExitCode.OK
    result.stdout.fnmatch_lines(["*NOT proven by the selected tests: P02*", "*(not enforced: *"])
    run = evidence(suite)["run"]
    assert run["full"] is False and run["enforced"] is False and run["partial_reasons"]
    assert promise(suite, "P02")["reason"] == "no test naming it was selected"


def test_naming_the_testpaths_is_a_full_run(suite):
    write_tests(suite, ONE_PROVEN)

    result = suite.runpytest(*PLUGIN, "t")

    assert result.ret == pytest.ExitCode.TESTS_FAILED
    assert evidence(suite)["run"]["full"] is True


def test_evidence_required_overrides_the_detection_both_ways(suite, monkeypatch):
    write_tests(suite, ONE_PROVEN)

    monkeypatch.setenv("EVIDENCE_REQUIRED", "1")
    assert suite.runpytest(*PLUGIN, "-k", "first").ret == pytest.ExitCode.TESTS_FAILED
    monkeypatch.setenv("EVIDENCE_REQUIRED", "0")
    assert suite.runpytest(*PLUGIN).ret == pytest.ExitCode.OK
    assert evidence(suite)["run"]["enforced"] is False


def test_a_failing_run_keeps_its_own_exit_status(suite):
    write_tests(suite, """
        def test_p01_fails():
            assert False
    """)

    result = suite.runpytest(*PLUGIN)

    assert result.ret == pytest.ExitCode.TESTS_FAILED
    assert evidence(suite)["totals"]["not_proven"] == ["P01", "P02"]


def test_parametrize_ids_and_module_docstrings_name_no_promise_but_class_names_do(suite):
    write_tests(suite, '''
        """This module is about P02."""
        import pytest

        @pytest.mark.parametrize("case", ["a"], ids=["p02"])
        def test_the_first_thing(case):
            """Checks P01."""

        class TestP01:
            def test_it(self):
                pass

        class Test_p02_things:
            def test_it(self):
                pass

        def test_p03_is_not_in_the_table():
            pass
    ''')

    suite.runpytest(*PLUGIN)

    named = {t["nodeid"].split("::", 1)[1]: t["promises"] for t in evidence(suite)["tests"]}
    assert named == {"test_the_first_thing[p02]": ["P01"], "TestP01::test_it": [],
                     "Test_p02_things::test_it": ["P02"], "test_p03_is_not_in_the_table": ["P03"]}
    assert evidence(suite)["unknown_promises"] == {"P03": ["t/test_suite.py::test_p03_is_not_in_the_table"]}


def test_a_promise_id_counts_only_as_a_word_of_its_own():
    assert named_promises("test_p08_p15_purpose_limited_keys") == ["P08", "P15"]
    assert named_promises("P08 (friend data) and P15 (contest data)") == ["P08", "P15"]
    assert named_promises("Tell-A-Friend (P06-P09)") == ["P06", "P09"]
    assert named_promises("test_ap03x", "p031", "P1", "sp06", "p06a", "PP06x") == []
    assert named_promises(None, "", "test_P27_logs") == ["P27"]


def test_the_report_lists_the_app_code_each_promise_ran(suite, monkeypatch):
    """In a process of its own, as the real suite: a module the conftest imports before the
    plugin is configured, and one a test imports later, both under functions/."""
    (suite.path / "functions").mkdir()
    (suite.path / "functions" / "__init__.py").write_text("")
    (suite.path / "functions" / "early.py").write_text(textwrap.dedent('''
        def one():
            """Docstrings stay."""
            return helper() + 1

        def helper():
            return 1

        def unused():
            return 0
    '''))
    (suite.path / "functions" / "late.py").write_text(textwrap.dedent('''
        class Counter:
            def two(self):
                return sum(x for x in (1, 1))
    '''))
    (suite.path / "t" / "conftest.py").write_text("import functions.early\n")
    write_tests(suite, '''
        def test_p01_uses_the_code():
            from functions import early, late

            assert early.one() == 2 and late.Counter().two() == 2
            assert early.one.__doc__ == "Docstrings stay."

        def test_p02_uses_none():
            pass
    ''')
    monkeypatch.setenv("PYTHONPATH", os.pathsep.join([str(suite.path), str(ROOT)]))

    result = suite.runpytest_subprocess(*PLUGIN)

    assert result.ret == pytest.ExitCode.OK, result.stdout.str()
    code = {f["path"]: [fn["name"] for fn in f["functions"]] for f in promise(suite, "P01")["code"]}
    assert code == {"functions/early.py": ["one", "helper"], "functions/late.py": ["Counter.two"]}
    assert promise(suite, "P02")["code"] == []
    page = (suite.path / "out" / "evidence" / "index.html").read_text()
    assert 'href="../../functions/early.py"' in page and 'href="../../t/test_suite.py"' in page
