"""P23: the local stage's access lines carry no client address (and, through the log
handler's filter, no token in a path)."""
from __future__ import annotations

import logging


class _Lines(logging.Handler):
    def __init__(self) -> None:
        super().__init__()
        self.lines: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(record.getMessage())


def test_p23_a_local_access_line_names_no_client_address():
    from local_stage.run import _request_handler_class

    handler_class = _request_handler_class()
    handler = handler_class.__new__(handler_class)  # no socket: only its log line is looked at
    handler.client_address = ("203.0.113.77", 54321)
    access, lines = logging.getLogger("local_stage.access"), _Lines()
    access.addHandler(lines)
    level, access.level = access.level, logging.INFO
    try:
        handler.log_message('"%s" %s %s', "GET /shop HTTP/1.1", "200", "-")
    finally:
        access.removeHandler(lines)
        access.setLevel(level)
    [line] = lines.lines
    assert "GET /shop" in line and "203.0.113.77" not in line
