"""Versions of the store's privacy policy. Version texts live beside this file."""
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

    def text(self) -> str:
        return (HERE / f"v{self.version}.md").read_text()

    def summary(self) -> dict:
        return {"version": self.version, "effective": self.effective, "material": self.material, "url": "/privacy"}


VERSIONS = (PolicyVersion(version=1, effective="2026-11-28", material=True),)


def all_versions() -> tuple[PolicyVersion, ...]:
    return VERSIONS


def current_version() -> PolicyVersion:
    return VERSIONS[-1]


@functools.cache
def render_html(version: PolicyVersion) -> str:
    import markdown

    return markdown.markdown(version.text())
