"""Domain exceptions. chalicelib maps each to an HTTP status in one place."""
from __future__ import annotations


class DomainError(Exception):
    code = "error"

    def __init__(self, message: str, *, code: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        if code:
            self.code = code


class InvalidInput(DomainError):
    code = "invalid_input"


class NotFound(DomainError):
    code = "not_found"


class InvalidToken(DomainError):
    """A link token that is tampered, truncated, unknown, used or expired."""

    code = "invalid_token"


class Conflict(DomainError):
    code = "conflict"


class Unavailable(DomainError):
    """A service we depend on did not answer; the client may retry."""

    code = "unavailable"
