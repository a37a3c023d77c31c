"""The evidence: what the run proved about each promise (evaluate), as JSON and as one
self-contained HTML page an auditor reads without the code (render_html)."""
from __future__ import annotations

import html
from collections import Counter
from dataclasses import dataclass, field

from tests.evidence.probes import Site
from tests.evidence.promises import Promise

PROOF = "passed"
FAILURES = ("failed", "error")
OUTCOMES = ("passed", "failed", "error", "skipped", "xfailed", "xpassed", "not run")
# A function is particular to a promise when the tests of at most this share of the promises
# ran it; the rest (sign-in, settings, the table helper, the web layer) is listed apart,
# folded, so that each promise's own code shows first.
PARTICULAR_SHARE = 0.25


@dataclass
class TestRecord:
    __test__ = False  # not a test class, whatever its name

    nodeid: str
    name: str  # the test's name in words
    doc: str
    file: str
    line: int
    promises: list[str]
    outcome: str = "not run"
    message: str = ""
    seconds: float = 0.0
    code: frozenset[int] = field(default_factory=frozenset)
    # A property-based model's invariants (its "adversary_invariants" property): name -> promises,
    # and how many steps checked each in this run.
    invariants: dict = field(default_factory=dict)


@dataclass
class Run:
    """What the plugin knows about the run, besides the tests."""

    started: str
    seconds: float
    commit: str
    tree: str
    versions: str
    full: bool
    enforced: bool
    partial_reasons: list[str]
    collection_errors: int
    tracing: bool
    traced_files: int
    stale_files: list[str]
    tracing_note: str


def verdict(tests: list[TestRecord], full: bool = True) -> tuple[bool, str]:
    """A promise is proven when at least one test naming it passed and none failed."""
    counts = Counter(t.outcome for t in tests)
    failed = sum(counts[o] for o in FAILURES)
    if not tests:
        return False, "no test names it" if full else "no test naming it was selected"
    if failed:
        return False, f"{failed} of its {len(tests)} tests failed"
    if counts[PROOF] == len(tests):
        return True, "its one test passed" if len(tests) == 1 else f"all {len(tests)} of its tests passed"
    if counts[PROOF]:
        others = _counted(counts - Counter({PROOF: counts[PROOF]}))
        return True, f"{counts[PROOF]} of its {len(tests)} tests passed ({others})"
    if counts["not run"] == len(tests):
        return False, f"none of its {len(tests)} tests ran in this run"
    return False, f"none of its {len(tests)} tests passed ({_counted(counts)})"


def _counted(counts: Counter) -> str:
    return ", ".join(f"{counts[o]} {o}" for o in OUTCOMES if counts[o])


def evaluate(promises: list[Promise], tests: list[TestRecord], sites: list[Site], run: Run) -> dict:
    """The evidence as one JSON-ready dict; the HTML page shows exactly this."""
    known = {p.id for p in promises}
    by_promise: dict[str, list[TestRecord]] = {p.id: [] for p in promises}
    unknown: dict[str, list[str]] = {}
    for test in tests:
        for pid in test.promises:
            if pid in known:
                by_promise[pid].append(test)
            else:
                unknown.setdefault(pid, []).append(test.nodeid)

    ran_by: dict[str, Counter] = {}  # promise -> site -> how many of its tests ran it
    for pid, its_tests in by_promise.items():
        ran_by[pid] = Counter(number for test in its_tests for number in test.code)
    with_code = [pid for pid in ran_by if ran_by[pid]]
    spread = Counter(number for pid in with_code for number in ran_by[pid])
    many = PARTICULAR_SHARE * len(with_code) if len(with_code) >= 4 else len(with_code)

    def code_list(pid: str, particular: bool) -> list[dict]:
        files: dict[str, list[int]] = {}
        for number in ran_by[pid]:
            if (spread[number] <= many) == particular:
                files.setdefault(sites[number].path, []).append(number)

        def order(path: str) -> tuple:
            return min(spread[n] for n in files[path]), -max(ran_by[pid][n] for n in files[path]), path

        return [{"path": path, "tests": max(ran_by[pid][n] for n in files[path]),
                 "functions": [{"name": sites[n].qualname, "line": sites[n].line, "tests": ran_by[pid][n],
                                "promises": spread[n]} for n in sorted(files[path], key=lambda n: sites[n].line)]}
                for path in sorted(files, key=order)]

    rows = []
    for promise in promises:
        its_tests = by_promise[promise.id]
        proven, reason = verdict(its_tests, run.full)
        rows.append({"id": promise.id, "title": promise.title, "text": promise.text,
                     "proven": proven, "verdict": "proven" if proven else "NOT proven", "reason": reason,
                     "tests": [t.nodeid for t in its_tests],
                     "invariants": [{"name": name, "test": t.nodeid, "steps_checked": row["steps_checked"],
                                     "facts_checked": row["facts_checked"], "outcome": t.outcome}
                                    for t in its_tests for name, row in t.invariants.items()
                                    if promise.id in row["promises"]],
                     "code": code_list(promise.id, True), "other_code": code_list(promise.id, False)})

    counts = Counter(t.outcome for t in tests)
    return {
        "run": {"started": run.started, "seconds": round(run.seconds, 1), "commit": run.commit,
                "tree": run.tree, "versions": run.versions, "full": run.full, "enforced": run.enforced,
                "partial_reasons": run.partial_reasons, "collection_errors": run.collection_errors},
        "totals": {"promises": len(promises), "proven": sum(r["proven"] for r in rows),
                   "not_proven": [r["id"] for r in rows if not r["proven"]],
                   "tests": len(tests), **{o.replace(" ", "_"): counts[o] for o in OUTCOMES},
                   "tests_naming_a_promise": sum(1 for t in tests if t.promises)},
        "promises": rows,
        "tests": [{"nodeid": t.nodeid, "name": t.name, "doc": t.doc, "file": t.file, "line": t.line,
                   "promises": t.promises, "outcome": t.outcome, "message": t.message,
                   "seconds": round(t.seconds, 3), "code": sorted(t.code)} for t in tests],
        "unknown_promises": unknown,
        "code": {"traced": run.tracing, "files_probed": run.traced_files, "stale_files": run.stale_files,
                 "note": run.tracing_note, "promises_with_code": len(with_code),
                 "sites": [[s.path, s.qualname, s.line] for s in sites]},
    }


CSS = """
body{font:15px/1.5 system-ui,-apple-system,"Segoe UI",sans-serif;color:#1d1d1f;max-width:72rem;margin:2rem auto;padding:0 1rem}
h1{font-size:1.6rem;margin-bottom:.2rem}h2{font-size:1.25rem;margin:0 0 .3rem}h3{font-size:1rem;margin:1rem 0 .3rem}
.meta{color:#555;margin-top:0}.summary{border:1px solid #ccc;border-radius:6px;padding:.8rem 1rem;background:#fafafa}
.big{font-size:1.3rem;font-weight:600;margin:.2rem 0}
table{border-collapse:collapse;width:100%;margin:.3rem 0}th,td{border-bottom:1px solid #ddd;padding:.3rem .5rem;text-align:left;vertical-align:top}
th{background:#f0f0f0}section.promise{border:1px solid #ccc;border-left:6px solid #999;border-radius:6px;padding:.8rem 1rem;margin:1.2rem 0}
section.proven{border-left-color:#1a7f37}section.unproven{border-left-color:#cf222e}
.verdict{display:inline-block;padding:0 .5rem;border-radius:4px;font-size:.9rem;font-weight:600;color:#fff;vertical-align:middle}
.verdict.proven{background:#1a7f37}.verdict.unproven{background:#cf222e}
.passed{color:#1a7f37;font-weight:600}.failed,.error{color:#cf222e;font-weight:600}
.skipped,.xfailed,.xpassed,.not-run{color:#9a6700;font-weight:600}
.doc,.why,.fn{color:#555;font-size:.9rem}code,.where{font:13px ui-monospace,Menlo,Consolas,monospace}
details{margin-top:.3rem}summary{cursor:pointer;color:#555}ul{margin:.2rem 0;padding-left:1.3rem}
"""


def _e(text: object) -> str:
    return html.escape(str(text), quote=True)


def render_html(evidence: dict, to_root: str) -> str:
    """One page: the summary, how to read it, an overview table, then one section per promise.
    to_root is the relative link from the page's folder to the repository root."""
    run, totals = evidence["run"], evidence["totals"]
    tests = {t["nodeid"]: t for t in evidence["tests"]}
    link = (lambda path: f"{to_root}/{path}") if to_root else (lambda path: path)
    not_proven = ", ".join(totals["not_proven"]) or "none"
    if run["enforced"]:
        gate = ("This was a full run, so the rule applied: a promise without a passing test fails the run."
                + (" It failed for that reason." if totals["not_proven"] else ""))
    else:
        why = "; ".join(run["partial_reasons"]) or "EVIDENCE_REQUIRED=0"
        gate = (f"This was not a full run ({_e(why)}): the page covers the tests that were selected, "
                "and promises without a passing test did not fail it.")
    out = [f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
<title>Privacy promises: evidence from the test run</title><style>{CSS}</style></head><body>
<h1>Privacy promises: evidence from the test run</h1>
<p class="meta">Run started {_e(run["started"])}, took {run["seconds"]} s; commit <code>{_e(run["commit"])}</code>
({_e(run["tree"])}); {_e(run["versions"])}.</p>
<div class="summary">
<p class="big">{totals["proven"]} of {totals["promises"]} promises proven</p>
<p>NOT proven: <strong>{_e(not_proven)}</strong></p>
<p>{totals["tests"]} tests collected: {totals["passed"]} passed, {totals["failed"]} failed,
{totals["error"]} errors, {totals["skipped"]} skipped, {totals["xfailed"] + totals["xpassed"]} expected to fail,
{totals["not_run"]} not run. {totals["tests_naming_a_promise"]} of them name a promise.
{f'<strong>{run["collection_errors"]} test files could not be loaded.</strong>' if run["collection_errors"] else ""}</p>
<p>{gate}</p>
</div>
<h2 style="margin-top:1.2rem">How to read this page</h2>
<ul>
<li>Each section below is one promise of the privacy policy: its ID, a short title and what the
store does to keep it, in the project's words (the table is
<a href="{_e(link("docs/promises.md"))}">docs/promises.md</a>).</li>
<li>A test counts for a promise when its name or its description names the promise's ID.
The promise is <strong>proven</strong> when at least one of those tests passed in this run and none
failed; otherwise it is <strong>NOT proven</strong>, and the line under its title says why.
A skipped test proves nothing.</li>
<li>The test table gives each test's purpose in words, its result in this run, and where it is
written (file and line).</li>
<li>"Code these tests ran" lists the functions of the store's own files that ran while those tests
ran: the code that keeps the promise. Functions particular to the promise come first, grouped by
file, the file most particular to it at the top; functions that the tests of many promises run
(signing in, settings, storage, the web layer) are folded away below them. Only code run in the
test process is seen (the browser tests' local server runs apart), and code that only set up what
several tests share (the emulated AWS, for one) is left out.</li>
<li>The same data is in <code>evidence.json</code> beside this page.</li>
</ul>
<h2>Overview</h2>
<table><tr><th>ID</th><th>Promise</th><th>Verdict</th><th>Why</th></tr>"""]
    for row in evidence["promises"]:
        state = "proven" if row["proven"] else "unproven"
        out.append(f'<tr><td><a href="#{row["id"]}">{row["id"]}</a></td><td>{_e(row["title"])}</td>'
                   f'<td><span class="verdict {state}">{row["verdict"]}</span></td>'
                   f'<td class="why">{_e(row["reason"])}</td></tr>')
    out.append("</table>")

    for row in evidence["promises"]:
        state = "proven" if row["proven"] else "unproven"
        out.append(f'<section class="promise {state}" id="{row["id"]}">'
                   f'<h2>{row["id"]} {_e(row["title"])} <span class="verdict {state}">{row["verdict"]}</span></h2>'
                   f'<p>{_e(row["text"])}</p><p class="why">Verdict: {_e(row["reason"])}.</p>')
        if row["tests"]:
            out.append(f'<h3>Tests ({len(row["tests"])})</h3><table><tr><th>What the test checks</th>'
                       '<th>Result</th><th>Where</th></tr>')
            for nodeid in row["tests"]:
                t = tests[nodeid]
                doc = f'<div class="doc">{_e(t["doc"])}</div>' if t["doc"] else ""
                message = f'<div class="doc">{_e(t["message"])}</div>' if t["message"] else ""
                out.append(f'<tr><td>{_e(t["name"])}{doc}</td>'
                           f'<td class="{t["outcome"].replace(" ", "-")}">{_e(t["outcome"])}{message}</td>'
                           f'<td class="where"><a href="{_e(link(t["file"]))}">'
                           f'{_e(t["file"])}:{t["line"]}</a></td></tr>')
            out.append("</table>")
        if row.get("invariants"):
            out.append(f'<h3>Invariants of the adversary model ({len(row["invariants"])})</h3><ul>')
            out += [f'<li><code>{_e(i["name"])}</code>: checked after {i["steps_checked"]} steps '
                    f'({i["facts_checked"]} facts), <span class="{i["outcome"]}">{_e(i["outcome"])}</span></li>'
                    for i in row["invariants"]]
            out.append("</ul>")
        if row["tests"]:
            out.append(_code_html(row, link, evidence["code"]["traced"]))
        out.append("</section>")

    out.append(_footer_html(evidence))
    out.append("</body></html>\n")
    return "\n".join(out)


def _files_html(files: list[dict], link, of: int) -> str:
    items = []
    for f in files:
        names = ", ".join(f'{_e(fn["name"])} (line {fn["line"]})' for fn in f["functions"])
        share = f' <span class="why">run by {f["tests"]} of these {of} tests</span>' if of > 1 else ""
        items.append(f'<li><a class="where" href="{_e(link(f["path"]))}">{_e(f["path"])}</a>{share}'
                     f'<div class="fn">{names}</div></li>')
    return "<ul>" + "".join(items) + "</ul>"


def _code_html(row: dict, link, traced: bool) -> str:
    heading = "<h3>Code these tests ran</h3>"
    if not traced:
        return heading + '<p class="why">Not recorded in this run.</p>'
    if not row["code"] and not row["other_code"]:
        return heading + ('<p class="why">None of the store\'s own code ran in the test process: a browser '
                          'test drives a local stage that runs in a process of its own, and a test that '
                          'reads files or templates runs none.</p>')
    of = len(row["tests"])
    parts = [heading]
    if row["code"]:
        parts.append('<p class="why">The functions particular to this promise, by file, the most '
                     'particular first:</p>' + _files_html(row["code"], link, of))
    if row["other_code"]:
        count = sum(len(f["functions"]) for f in row["other_code"])
        opened, more = ("", "and ") if row["code"] else (" open", "")  # nothing particular: show these
        parts.append(f'<details{opened}><summary>{more}{count} functions in {len(row["other_code"])} files that '
                     'the tests of many promises run (signing in, settings, storage, the web layer)</summary>'
                     f'{_files_html(row["other_code"], link, of)}</details>')
    return "".join(parts)


def _footer_html(evidence: dict) -> str:
    code, parts = evidence["code"], ["<h2>About this page</h2><ul>"]
    parts.append(f"<li>{_e(code['note'])}</li>")
    if code["stale_files"]:
        parts.append("<li>These files changed on disk after the run had loaded them, so the code that ran "
                     f"from them is not listed: {_e(', '.join(code['stale_files']))}.</li>")
    for pid, nodeids in sorted(evidence["unknown_promises"].items()):
        parts.append(f"<li>{len(nodeids)} tests name {_e(pid)}, which is not in the promise table: "
                     f"{_e(', '.join(nodeids))}.</li>")
    parts.append("</ul>")
    return "".join(parts)
