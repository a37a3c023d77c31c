"""Domain exceptions: what a use case tells the customer. Each carries its HTTP status, in
this one table; chalicelib turns them into answers in one place."""
from __future__ import annotations


class DomainError(Exception):
    code = "error"
    status = 400

    def __init__(self, message: str, *, code: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        if code:
            self.code = code


class InvalidInput(DomainError):
    code = "invalid_input"
    status = 400


class NotSignedIn(DomainError):
    code = "not_signed_in"
    status = 401


class NotFound(DomainError):
    code = "not_found"
    status = 404


class InvalidToken(DomainError):
    """A link token that is tampered, truncated, unknown, used or expired."""

    code = "invalid_token"
    status = 400


class Conflict(DomainError):
    code = "conflict"
    status = 409


class Unavailable(DomainError):
    """A service we depend on did not answer; the client may retry."""

    code = "unavailable"
    status = 503
