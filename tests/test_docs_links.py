"""The README and docs/ stay a short front page and a set of pages that link to each other:
every relative link in them reaches a file of the repository, every `#anchor` a heading
of its page (GitHub's slugs), and the README stays short enough to read first."""
from __future__ import annotations

import re
from pathlib import Path
from urllib.parse import unquote

import pytest

ROOT = Path(__file__).resolve().parent.parent
README = ROOT / "README.md"
README_MAX_LINES = 160
PAGES = [README, *sorted((ROOT / "docs").glob("*.md"))]

FENCE = re.compile(r"^\s*(```|~~~)")
CODE_SPAN = re.compile(r"(`+)(.+?)\1")
# [text](target) and [text](target "title"), images included; the text may hold a code span.
INLINE_LINK = re.compile(r"!?\[(?:[^\[\]]|\[[^\]]*\])*\]\(\s*<?([^\s)>]+)>?(?:\s+\"[^\"]*\")?\s*\)")
# [label]: target
REFERENCE = re.compile(r"^\s{0,3}\[[^\]]+\]:\s*<?(\S+?)>?(?:\s+\"[^\"]*\")?\s*$")
HEADING = re.compile(r"^\s{0,3}(#{1,6})\s+(.*?)\s*#*\s*$")
EXTERNAL = re.compile(r"^[a-z][a-z0-9+.-]*:", re.IGNORECASE)  # http:, https:, mailto:, ...


def prose_lines(text: str) -> list[str]:
    """The page's lines outside fenced code blocks."""
    lines, fenced = [], False
    for line in text.splitlines():
        if FENCE.match(line):
            fenced = not fenced
            continue
        if not fenced:
            lines.append(line)
    return lines


def links(page: Path) -> list[str]:
    found = []
    for line in prose_lines(page.read_text(encoding="utf-8")):
        reference = REFERENCE.match(line)
        if reference:
            found.append(reference.group(1))
            continue
        # A code span is shown as written: a link inside one is no link.
        without_code = CODE_SPAN.sub(lambda m: "" if "](" in m.group(2) else m.group(0), line)
        found += [match.group(1) for match in INLINE_LINK.finditer(without_code)]
    return found


def slug(heading: str) -> str:
    """GitHub's anchor for a heading: its text as shown (a link's text, no markup),
    lower-cased, punctuation other than hyphens and spaces dropped, spaces made hyphens."""
    text = re.sub(r"!?\[([^\]]*)\]\([^)]*\)", r"\1", heading)
    text = re.sub(r"<[^>]+>", "", text)
    text = re.sub(r"[^\w\- ]", "", text.lower())
    return text.replace(" ", "-")


def anchors(page: Path) -> set[str]:
    """Every heading's anchor; a repeated one gets -1, -2, ... as on GitHub."""
    seen: dict[str, int] = {}
    found = set()
    for line in prose_lines(page.read_text(encoding="utf-8")):
        heading = HEADING.match(line)
        if not heading:
            continue
        base = slug(heading.group(2))
        count = seen.get(base, 0)
        seen[base] = count + 1
        found.add(base if count == 0 else f"{base}-{count}")
    return found


def broken_links(page: Path) -> list[str]:
    broken = []
    for target in links(page):
        if EXTERNAL.match(target):
            continue
        path_part, _, anchor = target.partition("#")
        destination = (page.parent / unquote(path_part)).resolve() if path_part else page
        if ROOT not in destination.parents and destination != ROOT:
            broken.append(f"{target}: outside the repository")
        elif not destination.exists():
            broken.append(f"{target}: no such file")
        elif anchor and destination.suffix == ".md" and unquote(anchor) not in anchors(destination):
            broken.append(f"{target}: no heading with the anchor #{anchor} in {destination.relative_to(ROOT)}")
    return broken


def test_the_pages_are_found():
    assert README.exists()
    assert (ROOT / "docs" / "promises.md") in PAGES


@pytest.mark.parametrize("page", PAGES, ids=lambda page: str(page.relative_to(ROOT)))
def test_every_relative_link_reaches_a_file_and_every_anchor_a_heading(page: Path):
    broken = broken_links(page)
    assert not broken, f"broken links in {page.relative_to(ROOT)}:\n" + "\n".join(broken)


def test_the_readme_starts_short():
    lines = len(README.read_text(encoding="utf-8").splitlines())
    assert lines <= README_MAX_LINES, (
        f"README.md has {lines} lines; keep it at most {README_MAX_LINES} and move the rest into docs/")


@pytest.mark.parametrize(("heading", "anchor"), [
    ("Where the rest is", "where-the-rest-is"),
    ("Runtime, bytecode and SnapStart", "runtime-bytecode-and-snapstart"),
    ("Card-processor callbacks", "card-processor-callbacks"),
    ("7. The first `GET /`", "7-the-first-get-"),
    ("See [the docs](docs/x.md) now", "see-the-docs-now"),
    ("snake_case stays", "snake_case-stays"),
])
def test_anchors_follow_githubs_slug_rule(heading: str, anchor: str):
    assert slug(heading) == anchor


def test_a_broken_link_or_anchor_is_found(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    tmp_path = tmp_path.resolve()
    page = tmp_path / "page.md"
    (tmp_path / "other.md").write_text("# Other\n\n## A part\n", encoding="utf-8")
    page.write_text(
        "# Page\n\n[fine](other.md#a-part) [here](#page) [web](https://example.org/x) "
        "[gone](missing.md) [no part](other.md#no-part) [`code`](#nowhere)\n\n"
        "```sh\n[in a fence](missing-too.md)\n```\n", encoding="utf-8")
    monkeypatch.setitem(globals(), "ROOT", tmp_path.resolve())

    assert broken_links(page) == [
        "missing.md: no such file",
        "other.md#no-part: no heading with the anchor #no-part in other.md",
        "#nowhere: no heading with the anchor #nowhere in page.md",
    ]
