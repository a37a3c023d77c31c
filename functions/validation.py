"""Input types shared by the use cases' request models."""
from __future__ import annotations

from typing import Annotated

from pydantic import AfterValidator, StringConstraints


def _deliverable_syntax(value: str) -> str:
    from email_validator import EmailNotValidError, validate_email

    try:
        # No DNS lookups: the address is proven by the confirmation link instead.
        return validate_email(value, check_deliverability=False).normalized
    except EmailNotValidError:
        raise ValueError("not a valid email address") from None


EmailAddress = Annotated[
    str, StringConstraints(strip_whitespace=True, min_length=3, max_length=254), AfterValidator(_deliverable_syntax)
]
PersonName = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=100)]
