"""The shape the code must keep as it grows: what app.py may import, purpose-limited data
that no other module can name, and modules small enough to read. The layering itself is
checked by import-linter (`.importlinter`, run by `make test`)."""
from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
APP_CODE = ["app.py", "chalicelib", "functions", "shared", "local_stage", "infra", "bench"]
PROJECT_PACKAGES = {"chalicelib", "functions", "shared", "local_stage", "infra", "bench", "tests"}


def python_files(*places: str) -> list[Path]:
    found: list[Path] = []
    for place in places:
        path = ROOT / place
        found += [path] if path.is_file() else sorted(path.rglob("*.py"))
    return found


def imported_packages(path: Path) -> set[str]:
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            names |= {alias.name.split(".")[0] for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            names.add(node.module.split(".")[0])
    return names


def test_app_py_imports_only_chalicelib_and_shared_of_the_project():
    """import-linter takes packages, not the app module: this checks app.py itself."""
    assert imported_packages(ROOT / "app.py") & PROJECT_PACKAGES == {"chalicelib", "shared"}


@pytest.mark.parametrize("prefix, owner", [
    ("REFERRAL#", "shared/store/friends.py"),
    ("REFERRER#", "shared/store/friends.py"),
    ("FRIENDDATA#", "shared/store/friends.py"),
    ("ENTRANT#", "shared/store/contest_entries.py"),
])
def test_p08_p15_purpose_limited_key_prefixes_appear_in_their_repository_alone(prefix, owner):
    """P08 (friend data) and P15 (contest contact data): a module that could read such items
    through the table would have to name the key prefix; only the owning repository does."""
    naming = [str(p.relative_to(ROOT)) for p in python_files(*APP_CODE) if prefix in p.read_text()]
    assert naming == [owner]


@pytest.mark.parametrize("repository, use_cases, contract", [
    ("shared.store.friends", "functions.referrals", "friend-data-purpose"),  # P08
    ("shared.store.contest_entries", "functions.contests", "contest-contact-purpose"),  # P15
])
def test_p08_p15_only_the_purposes_use_cases_import_purpose_limited_data(repository, use_cases, contract):
    """What the import-linter purpose contracts keep, read off the import graph itself: each
    purpose-limited repository's only importer in the app is its purpose's use cases."""
    import grimp

    graph = grimp.build_graph("chalicelib", "functions", "shared", "local_stage")
    assert graph.find_modules_that_directly_import(repository) == {use_cases}
    section = (ROOT / ".importlinter").read_text().split(f"[importlinter:contract:{contract}]")[1]
    assert f"forbidden_modules =\n    {repository}" in section


def test_p08_p15_purpose_limited_repositories_are_no_part_of_ports():
    """One Ports reaches every view: the purpose-limited repositories are none of its
    properties, and the module that composes it never builds them."""
    from shared.ports import Ports

    parts = Ports.parts()
    assert {"accounts", "outbox", "mailer", "settings"} <= set(parts)  # the check reads the real properties
    returns = {name: getattr(Ports, name).func.__annotations__["return"]  # as written, unevaluated
               for name in parts if name not in ("settings", "table", "clock")}
    named = " ".join(f"{name}: {kind}" for name, kind in returns.items())
    assert "accounts: AccountRepository" in named
    for repository in ("FriendRepository", "EntrantContactRepository", "friends", "contest_entries"):
        assert repository not in named
    composer = (ROOT / "shared" / "ports.py").read_text()
    assert "friends" not in composer and "contest_entries" not in composer


def test_no_app_module_is_over_400_lines():
    long = {str(p.relative_to(ROOT)): n for p in python_files(*APP_CODE)
            if (n := len(p.read_text().splitlines())) > 400}
    assert not long


def test_tests_reach_the_store_through_public_methods_only():
    """No test reads a repository's or the table's internals; fakes are checked against the
    real table by the contract suite instead."""
    private = re.compile(r"\b(store|table|repository|repo|accounts|mail|commerce|sign_in)\._[a-z]")
    offenders = [f"{p.relative_to(ROOT)}:{n}" for p in python_files("tests")
                 if p.name not in {"fakes.py", "test_structure.py"}
                 for n, line in enumerate(p.read_text().splitlines(), 1) if private.search(line)]
    assert not offenders


def test_the_mail_sender_contract_names_every_feature_module():
    """The contract that keeps features out of the sender and the generic composer lists
    every module of functions but those two, so a new feature is covered from its first day."""
    section = (ROOT / ".importlinter").read_text().split("[importlinter:contract:mail-sender-imports-no-feature]")[1]
    forbidden = set(re.findall(r"^    (functions\.\w+)$", section.split("forbidden_modules =")[1].split("\n[")[0], re.M))
    modules = {f"functions.{p.stem}" for p in (ROOT / "functions").glob("*.py") if p.stem != "__init__"}
    assert forbidden == modules - {"functions.mail_outbox", "functions.mail_compose"}


def test_every_mail_template_has_one_handler_and_every_handler_a_template():
    """Each mail a feature queues is re-checked and built by that feature's handler; a job
    of a template nobody handles would fail at send time."""
    from functions.mail_compose import handlers_by_template
    from functions.mail_handlers import MAIL_HANDLERS
    from functions.one_time_links import SIGNUP_AGAIN, SIGNUP_AGAIN_MAILS

    templates = {p.stem for p in (ROOT / "shared" / "mail" / "templates").glob("*.txt") if not p.stem.startswith("_")}
    assert set(MAIL_HANDLERS) == templates | {SIGNUP_AGAIN}
    assert {template for template, _ in SIGNUP_AGAIN_MAILS.values()} <= set(MAIL_HANDLERS)
    queued = {m for p in python_files("functions")
              for m in re.findall(r'template="(\w+)"|MailKind\.\w+\.value, "(\w+)"', p.read_text()) for m in m if m}
    assert queued and queued <= set(MAIL_HANDLERS)
    with pytest.raises(ValueError, match="welcome"):
        handlers_by_template(MAIL_HANDLERS, {"welcome": MAIL_HANDLERS["welcome"]})
