"""The ports a use case needs, built once from the stage settings. Tests pass their own."""
from __future__ import annotations

import functools
from dataclasses import dataclass
from typing import Any

from shared.clock import Clock, system_clock


@dataclass
class Ports:
    settings: Any
    store: Any
    mailer: Any
    clock: Clock = system_clock


@functools.cache
def default_ports() -> Ports:
    from shared.mail.ses import SesMailer
    from shared.settings import get_settings
    from shared.store import get_store

    settings = get_settings()
    return Ports(
        settings=settings,
        store=get_store(),
        mailer=SesMailer(settings.sender_address, settings.configuration_set),
    )
