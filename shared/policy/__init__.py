"""Versions of the store's privacy policy. The versions shipped with the code live beside
this file; versions published later by an operator (`ops_publish_policy`) carry their text
(functions.notices puts both together)."""
from __future__ import annotations

import functools
from dataclasses import dataclass
from pathlib import Path

HERE = Path(__file__).resolve().parent


@dataclass(frozen=True)
class PolicyVersion:
    version: int
    effective: str
    material: bool
    markdown: str | None = None  # a published version's text; the shipped ones read theirs from disk
    published_at: str = ""  # when an operator published it; the shipped ones: before any account

    def text(self) -> str:
        return self.markdown if self.markdown is not None else (HERE / f"v{self.version}.md").read_text()

    def summary(self) -> dict:
        return {"version": self.version, "effective": self.effective, "material": self.material, "url": "/privacy"}


# A shipped version is never edited once published: a change is a new version. Version 2
# states how long copies last (backups, the table stream, feedback reports, sent mail) and
# that answers end with their stated retention: nothing is used more or kept longer, so it
# is not material (P25: no mail, no notice).
VERSIONS = (
    PolicyVersion(version=1, effective="2026-11-28", material=True),
    PolicyVersion(version=2, effective="2026-12-06", material=False),
)


def all_versions() -> tuple[PolicyVersion, ...]:
    return VERSIONS


def current_version() -> PolicyVersion:
    return VERSIONS[-1]


@functools.cache
def render_html(version: PolicyVersion) -> str:
    import markdown

    return markdown.markdown(version.text())
