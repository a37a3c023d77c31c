"""What the edge takes from a request about its viewer (P24): the country, from the source
address or the trusted edge header. The address and the header go no further than the
calls made here."""
from __future__ import annotations


def _source_ip(request) -> str | None:
    identity = (request.context or {}).get("identity") or {}
    address = identity.get("sourceIp")
    return address if isinstance(address, str) else None


def country(request, ports) -> str | None:
    """The viewer's country (ISO code), or None where it cannot be told."""
    from shared.geo import VIEWER_COUNTRY_HEADER, viewer_country

    return viewer_country(_source_ip(request), request.headers.get(VIEWER_COUNTRY_HEADER),
                          ports.settings.trust_viewer_country_header)
