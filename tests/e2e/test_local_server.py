"""The local stage's server speaks the contract where the standard library would not."""
from __future__ import annotations

import http.client
import json
from urllib.parse import urlsplit

import pytest


@pytest.mark.parametrize("method", ["TRACE", "QUERY", "PROPFIND", "CONNECT"])
def test_a_method_no_route_has_answers_405_in_the_contracts_error_shape(local_stage, method):
    address = urlsplit(local_stage.base_url)
    connection = http.client.HTTPConnection(address.hostname, address.port, timeout=10)
    try:
        connection.request(method, "/health")
        response = connection.getresponse()
        body = json.loads(response.read())
    finally:
        connection.close()
    assert response.status == 405 and response.getheader("Content-Type") == "application/json"
    assert body == {"error": {"code": "method_not_allowed", "message": "This method is not allowed here."}}
