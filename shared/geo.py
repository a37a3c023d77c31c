"""The viewer's country (P23, P24), the only thing the store takes from an IP address.

The address is looked up offline (iptocc's data ships inside its wheel: no request leaves
the function) and dropped: nothing here keeps, logs or returns it. The regional API
endpoint passes a client's own `CloudFront-Viewer-Country` header through, so the header
counts only where the stage says a CloudFront distribution sets it
(`TRUST_VIEWER_COUNTRY_HEADER`); a header that is not two capital letters never counts.
"""
from __future__ import annotations

import re

VIEWER_COUNTRY_HEADER = "cloudfront-viewer-country"
UNKNOWN = "unknown"  # the country of a loopback, private or unassigned address
_COUNTRY_CODE = re.compile(r"[A-Z]{2}")
# Codes that name no country: CloudFront's and the registries' placeholders.
_NOT_COUNTRIES = frozenset({"XX", "ZZ", "EU", "AP"})
_MAX_ADDRESS_LENGTH = 45  # the longest textual IPv6 address (with an IPv4 tail)


def country_code(text: str | None) -> str | None:
    """An ISO 3166-1 alpha-2 code as CloudFront and the registries write it, else None."""
    if text is None or not _COUNTRY_CODE.fullmatch(text) or text in _NOT_COUNTRIES:
        return None
    return text


def country_of_address(address: str | None) -> str | None:
    """The country a registry assigned the address's block to; None for loopback, private,
    unassigned or malformed addresses."""
    if not address or len(address) > _MAX_ADDRESS_LENGTH:
        return None
    from iptocc import country_code as lookup

    try:
        found = lookup(address)
    except (ValueError, TypeError):
        return None
    return country_code(found)


def viewer_country(source_ip: str | None, header: str | None, trust_header: bool) -> str | None:
    """The edge's country header where it is trusted and well formed, else the address's."""
    if trust_header:
        trusted = country_code(header.strip() if header else None)
        if trusted:
            return trusted
    return country_of_address(source_ip)
