"""The project's promise table (docs/promises.md) and how a test names a promise."""
from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

TABLE = Path("docs") / "promises.md"  # relative to the repository root

# A promise ID in a test's name or docstring: P or p and two digits, standing alone between
# non-alphanumerics ("test_p08_p15_...", "P08 (friend data)", "P06-P09" names P06 and P09),
# never inside a longer token ("ap03x", "p031").
NAMED = re.compile(r"(?<![A-Za-z0-9])[Pp](\d\d)(?![A-Za-z0-9])")
_ROW = re.compile(r"^\|\s*(P\d\d)\s*\|([^|]*)\|([^|]*)\|\s*$")


@dataclass(frozen=True)
class Promise:
    id: str
    title: str
    text: str


def read_table(path: Path) -> list[Promise]:
    """The rows `| P01 | title | text |` of a Markdown table, in file order."""
    rows = []
    for line in path.read_text(encoding="utf-8").splitlines():
        found = _ROW.match(line.strip())
        if found:
            rows.append(Promise(found.group(1), found.group(2).strip(), found.group(3).strip()))
    return rows


def named_promises(*texts: str | None) -> list[str]:
    """The promise IDs the texts name, sorted, each once."""
    return sorted({f"P{number}" for text in texts if text for number in NAMED.findall(text)})
