"""The project's own promise table (docs/promises.md): the 28 IDs, each with a title and the
behaviour in the project's words, the same IDs as the team's ledger, and no sentence of the
2007 policy. The evidence report (tests/evidence/) is built from this table."""
from __future__ import annotations

import re
from pathlib import Path

import pytest

from tests.evidence.promises import TABLE, read_table

ROOT = Path(__file__).resolve().parent.parent
# The team's ledger is not part of the repository: it sits beside it when the team's spec
# folder is checked out there, and CI may not have it.
SPEC = ROOT.parent / "shared" / "spec"
LEDGER = SPEC / "PROMISES.md"
POLICY_2007 = SPEC / "privacy-policy-2007.md"
COPIED_WORDS = 7  # this many words in a row shared with the 2007 text is a copied sentence


def words(text: str) -> list[str]:
    return re.findall(r"[a-z0-9]+", text.lower())


def test_the_table_lists_the_28_ids_in_order_each_with_a_title_and_its_behaviour():
    promises = read_table(ROOT / TABLE)

    assert [p.id for p in promises] == [f"P{n:02d}" for n in range(1, 29)]
    for promise in promises:
        assert promise.title, f"{promise.id} has no title"
        assert len(words(promise.text)) >= 8, f"{promise.id} says too little: {promise.text!r}"


def test_the_table_has_the_ledgers_ids_and_copies_no_sentence_of_the_2007_policy():
    # The one allowed skip: the ledger lives outside the repository, so a checkout without
    # the team's spec folder beside it (CI, for one) has nothing to compare with.
    if not LEDGER.is_file():
        pytest.skip(f"the team's ledger is not beside the repository ({LEDGER})")
    ledger_ids = re.findall(r"^\|\s*(P\d\d)\s*\|", LEDGER.read_text(encoding="utf-8"), re.MULTILINE)
    promises = read_table(ROOT / TABLE)

    assert [p.id for p in promises] == ledger_ids

    if POLICY_2007.is_file():
        policy = words(POLICY_2007.read_text(encoding="utf-8"))
        runs = {tuple(policy[i:i + COPIED_WORDS]) for i in range(len(policy) - COPIED_WORDS + 1)}
        for promise in promises:
            ours = words(f"{promise.title}. {promise.text}")
            copied = [" ".join(ours[i:i + COPIED_WORDS]) for i in range(len(ours) - COPIED_WORDS + 1)
                      if tuple(ours[i:i + COPIED_WORDS]) in runs]
            assert not copied, f"{promise.id} copies the 2007 policy: {copied}"
