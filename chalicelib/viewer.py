"""What the edge takes from a request about its viewer (P23, P24): the country, from the
source address or the trusted edge header, and the access count of a page request. The
address, the header and the User-Agent go no further than the calls made here."""
from __future__ import annotations

from aws_lambda_powertools import Logger

logger = Logger(child=True)


def _source_ip(request) -> str | None:
    identity = (request.context or {}).get("identity") or {}
    address = identity.get("sourceIp")
    return address if isinstance(address, str) else None


def country(request, ports) -> str | None:
    """The viewer's country (ISO code), or None where it cannot be told."""
    from shared.geo import VIEWER_COUNTRY_HEADER, viewer_country

    return viewer_country(_source_ip(request), request.headers.get(VIEWER_COUNTRY_HEADER),
                          ports.settings.trust_viewer_country_header)


def count_page_request(request) -> None:
    """P23: one more request in the access counters. A failure here costs the count, never
    the page: it is logged by its type alone and the page is answered as usual."""
    try:
        from functions.access_trends import record_page_request
        from shared.ports import process_ports
        from shared.geo import VIEWER_COUNTRY_HEADER

        record_page_request(_source_ip(request), request.headers.get("user-agent"),
                            request.headers.get(VIEWER_COUNTRY_HEADER), process_ports())
    except Exception as error:  # noqa: BLE001 - a counter must not fail the page
        logger.warning("access count not written", extra={"error": type(error).__name__})
