"""Input types shared by the use cases' request models."""
from __future__ import annotations

from typing import Annotated

from pydantic import AfterValidator, StringConstraints


def _deliverable_syntax(value: str) -> str:
    """A valid address SES can deliver to, in the ASCII form we store and mail: an
    internationalised domain in its IDNA form; a non-ASCII local part refused, since SES
    cannot send to one (it would fail at every send)."""
    from email_validator import EmailNotValidError, validate_email

    try:
        # No DNS lookups: the address is proven by the confirmation link instead.
        checked = validate_email(value, check_deliverability=False)
    except EmailNotValidError:
        raise ValueError("not a valid email address") from None
    if checked.smtputf8 or not checked.ascii_email:
        raise ValueError("the part before the @ must be plain ASCII letters, digits or punctuation: "
                         "our mail service cannot deliver to other characters there")
    return str(checked.ascii_email)


EmailAddress = Annotated[
    str, StringConstraints(strip_whitespace=True, min_length=3, max_length=254), AfterValidator(_deliverable_syntax)
]
PersonName = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=100)]
