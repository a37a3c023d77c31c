"""Form posts from the store's pages: what a field's problem is, in words for people.

A page never shows validator text or field names: each field of a form has its label and
its own sentences, and a problem the form cannot tie to a field reads as a general one.
"""
from __future__ import annotations

from dataclasses import dataclass

EMAIL_FORMAT = "Enter an email address in the correct format, like name@example.com"
GENERAL = "form"  # the key of a problem no field is named for


@dataclass(frozen=True)
class Field:
    label: str
    empty: str  # what to do when it is left empty
    invalid: str = ""  # what to do when it is filled wrongly (defaults to `empty`)


def email_field(label: str = "Email address", empty: str = "Enter your email address") -> Field:
    return Field(label, empty, EMAIL_FORMAT)


def problems_of(error, fields: dict[str, Field], given: dict[str, str] | None = None) -> dict[str, str]:
    """A pydantic ValidationError as {field: what to do}, first problem per field, in the
    form's order; a problem with no field of the form reads as a general one. `given`: the
    form as posted, so a field left blank is told to be filled whatever its validator said."""
    found: dict[str, str] = {}
    for problem in error.errors(include_input=False, include_url=False):
        name = str(problem["loc"][0]) if problem["loc"] else GENERAL
        field = fields.get(name)
        if field is None:
            found.setdefault(GENERAL, "Something in the form is not right: check it and try again.")
        elif given is not None and not given.get(name, "").strip():
            found.setdefault(name, field.empty)
        else:
            found.setdefault(name, _words(problem, field))
    order = [*fields, GENERAL]
    return dict(sorted(found.items(), key=lambda item: order.index(item[0])))


def _words(problem: dict, field: Field) -> str:
    kind, context = problem["type"], problem.get("ctx") or {}
    if kind == "missing" or (kind == "string_too_short" and context.get("min_length") == 1):
        return field.empty
    if kind == "string_too_long":
        return f"{field.label} must be {context['max_length']} characters or fewer"
    return field.invalid or field.empty


def kept(fields: dict[str, str], names) -> dict[str, str]:
    """The customer's input to put back in the form (never a password; the store has none)."""
    return {name: fields.get(name, "") for name in names}
