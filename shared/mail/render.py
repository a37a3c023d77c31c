"""Jinja2 templates for each mail, text and HTML. The environment is built on first use."""
from __future__ import annotations

import functools
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from jinja2 import Environment

SUBJECTS = {
    "welcome": "Welcome to the Calling Card Store: please confirm your address",
    "confirm_link": "Your link to confirm your Calling Card Store address",
    "signin_link": "Your Calling Card Store sign-in link",
    "email_change_confirm": "Confirm your new address for the Calling Card Store",
    "email_changed_notice": "Your Calling Card Store address was changed",
    "pin": None,  # in number with its cards (functions.orders.pin_mail_subject)
    "campaign": None,  # the campaign names its own subject
    "service": None,  # so does a service announcement
    "invitation": None,  # it names the customer who sent it
    "contest_winner": "You won a Calling Card Store contest",
    "contest_confirmation": "Confirm your entry in a Calling Card Store contest",
}


@functools.cache
def _environment() -> Environment:
    from shared.templating import jinja_environment

    return jinja_environment(Path(__file__).parent / "templates", trim_blocks=True)


def render(template: str, context: dict) -> tuple[str, str, str]:
    """(subject, text, html) of one mail."""
    if template not in SUBJECTS:
        raise ValueError(f"unknown mail template {template!r}")
    environment = _environment()
    subject = SUBJECTS[template] or context["subject"]
    text = environment.get_template(f"{template}.txt").render(**context)
    html = environment.get_template(f"{template}.html").render({**context, "subject": subject})
    return subject, text, html
