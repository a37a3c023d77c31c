"""Time, in one place so tests can move it."""
from __future__ import annotations

import time
from datetime import datetime, timezone


class Clock:
    def now(self) -> float:
        return time.time()

    def sleep(self, seconds: float) -> None:
        time.sleep(seconds)

    def iso(self, at: float | None = None) -> str:
        moment = self.now() if at is None else at
        return datetime.fromtimestamp(moment, tz=timezone.utc).isoformat(timespec="milliseconds")


class FixedClock(Clock):
    def __init__(self, at: float) -> None:
        self.at = at

    def now(self) -> float:
        return self.at

    def sleep(self, seconds: float) -> None:
        """Time passes at once: a test never waits."""
        self.at += max(seconds, 0)

    def advance(self, seconds: float) -> None:
        self.at += seconds


system_clock = Clock()
