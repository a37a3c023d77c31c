"""Input types shared by the use cases' request models."""
from __future__ import annotations

import re
from typing import Annotated

from pydantic import AfterValidator, StringConstraints

# email-validator is the authority on addresses, but its first import compiles four regular
# expressions over every Unicode code point (about 25 ms here, on every cold start). Most
# addresses are plain ASCII that it would accept unchanged but for a lower-cased domain, so
# those are recognised here and everything else goes to it. This pattern accepts only what
# email-validator accepts with the same result (tests/unit/test_address_syntax.py holds the
# two to that, case by case and over generated addresses); it decides no refusal.
_ATOM = r"[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+"
_LABEL = r"[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?"
_PLAIN_ADDRESS = re.compile(rf"({_ATOM}(?:\.{_ATOM})*)@((?:{_LABEL}\.)+[A-Za-z]{{2,63}})")
# email-validator's special-use names (RFC 6761 and the like) and the mailbox names it
# lower-cases (RFC 2142): addresses with either go to it.
SPECIAL_USE_DOMAINS = ("arpa", "invalid", "local", "localhost", "onion", "test")
ROLE_MAILBOXES = ("info", "marketing", "sales", "support", "abuse", "noc", "security", "postmaster",
                  "hostmaster", "usenet", "news", "webmaster", "www", "uucp", "ftp")


def plain_address(value: str) -> str | None:
    """The address as email-validator would give it (its domain lower-cased), when it is a
    plain ASCII one that it surely accepts; None when only email-validator can tell."""
    matched = _PLAIN_ADDRESS.fullmatch(value)
    if matched is None or len(value) > 254:
        return None
    local, domain = matched.group(1), matched.group(2).lower()
    if (len(local) > 64 or len(domain) > 253 or "--" in domain or local.lower() in ROLE_MAILBOXES
            or any(domain == name or domain.endswith("." + name) for name in SPECIAL_USE_DOMAINS)):
        return None
    return f"{local}@{domain}"


def _deliverable_syntax(value: str) -> str:
    """A valid address SES can deliver to, in the ASCII form we store and mail: an
    internationalised domain in its IDNA form; a non-ASCII local part refused, since SES
    cannot send to one (it would fail at every send)."""
    plain = plain_address(value)
    if plain is not None:
        return plain
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
