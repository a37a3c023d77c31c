"""The one way the store builds a Jinja2 environment, for its pages and its mail: templates
from a folder, HTML escaped, and an undefined name an error rather than an empty string."""
from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from jinja2 import Environment


def jinja_environment(folder: Path, *, trim_blocks: bool = False) -> Environment:
    """trim_blocks: block tags leave no line of their own (plain-text mail reads as written)."""
    from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape  # loaded on first use

    return Environment(
        loader=FileSystemLoader(folder),
        autoescape=select_autoescape(["html"]),
        undefined=StrictUndefined,
        trim_blocks=trim_blocks,
        lstrip_blocks=trim_blocks,
    )
