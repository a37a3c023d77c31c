"""Survey and contest answers end at the retention their definition states (P14).

An answer carries `expires_at`, its survey's `retention_days` from its submission: DynamoDB's
TTL deletes it then (up to two days late), every read treats it as gone from that moment,
and the daily retention purge deletes it on the day. An answer stored without `expires_at`
(written before answers had one, or by a path that does not set it) ends `retention_days`
after its submission all the same: the reads and the purge go by the definition.
"""
from __future__ import annotations

from datetime import datetime
from typing import Callable

from aws_lambda_powertools import Logger

from shared.ports import Ports
from shared.store.surveys import Survey, SurveyResponse

logger = Logger(child=True)
DAY = 24 * 3600
# The purge stops deleting when less than this is left of its run; the next run goes on.
STOP_MARGIN_SECONDS = 10


def _epoch(iso: str) -> float:
    return datetime.fromisoformat(iso).timestamp()


def expires_at(survey: Survey, submitted: float) -> int:
    """When an answer submitted at `submitted` (epoch seconds) must be gone."""
    return int(submitted) + survey.retention_days * DAY


def ends_at(response: SurveyResponse, survey: Survey) -> float:
    if response.expires_at is not None:
        return response.expires_at
    return _epoch(response.submitted_at) + survey.retention_days * DAY


def kept_answers(survey: Survey, ports: Ports) -> list[SurveyResponse]:
    """The answers still within the survey's retention."""
    now = ports.clock.now()
    return [r for r in ports.surveys.responses(survey.survey_id, now) if ends_at(r, survey) > now]


def purge_expired_answers(ports: Ports, remaining_seconds: Callable[[], float] | None = None) -> int:
    """Delete every answer past its survey's retention; returns how many. A survey whose
    opening plus its retention lies ahead cannot hold one and is not read. Stops when the
    run's time runs short: what is left is deleted by the next run (and by the TTL)."""
    now = ports.clock.now()
    left = remaining_seconds or (lambda: float("inf"))
    purged = 0
    for survey in ports.surveys.closing_between("0", "~"):
        if _epoch(survey.opens_at) + survey.retention_days * DAY > now:
            continue
        for response in ports.surveys.responses(survey.survey_id):
            if ends_at(response, survey) > now:
                continue
            if left() < STOP_MARGIN_SECONDS:
                logger.info("survey answers purge stopped for time; the next run goes on", extra={"count": purged})
                return purged
            ports.surveys.delete_response(survey.survey_id, response.response_id)
            purged += 1
    if purged:
        logger.info("survey answers past their retention deleted", extra={"count": purged})
    return purged
