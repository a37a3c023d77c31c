"""P27: every log line this whole run wrote (in-process and the e2e servers) holds none of
the personal data the tests used."""
from __future__ import annotations

import pytest

from tests import conftest


@pytest.mark.runs_last
def test_p27_no_personal_data_in_any_log_line_of_the_run():
    captured = conftest.LOG_CAPTURE.getvalue() + "".join(p.read_text() for p in conftest.SERVER_LOGS if p.exists())
    assert "mail job finished" in captured, "the capture saw no log lines: it is not wired to the real handlers"
    assert len(conftest.PERSONAL_DATA) >= 10
    leaked = sorted(item for item in conftest.PERSONAL_DATA if item in captured)
    assert not leaked, f"{len(leaked)} personal data items appear in the logs"
