"""A container's start runs without garbage collection, and collection resumes after its
first event, whatever the event and however it ends (app.py, chalicelib.middleware)."""
from __future__ import annotations

import subprocess
import sys

import pytest

FIRST_EVENTS = {
    # An HTTP request the API answers without touching AWS (no route takes GET here).
    "http": "from bench._cold_child import proxy_event, LambdaContext\n"
            "answer = app.app(proxy_event('GET', '/no-such-page', '', 'application/json'), LambdaContext())\n"
            "assert answer['statusCode'] >= 400, answer\n",
    # An operator function whose input is refused before any AWS call: it raises.
    "operator function": "from bench._cold_child import LambdaContext\n"
                         "try:\n"
                         "    app.app.handler_map['ops_contact_requests']({'unexpected': True}, LambdaContext())\n"
                         "except Exception:\n"
                         "    pass\n",
}


@pytest.mark.parametrize("event", sorted(FIRST_EVENTS))
def test_collection_is_paused_through_the_start_and_resumes_after_the_first_event(event):
    probe = (
        "import gc\n"
        "import app\n"
        "assert not gc.isenabled(), 'collection ran during the import'\n"
        + FIRST_EVENTS[event] +
        "assert gc.isenabled(), 'collection never resumed'\n"
        "assert gc.get_freeze_count() > 10000, gc.get_freeze_count()\n"
    )
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr[-2000:]
