"""Operator functions: `chalice invoke -n NAME` in a stage, `make ops NAME=...` locally.

Each run writes an audit record (which function, when, on which account). The caller hands
in the ports (the process's, from shared.ports, or a test's fakes).
"""
from __future__ import annotations

from typing import Any, Callable

from pydantic import BaseModel, ConfigDict

from shared.errors import DomainError
from shared.ids import new_id
from shared.ports import Ports
from shared.store.audit import AuditEntry


class NoInput(BaseModel):
    model_config = ConfigDict(extra="forbid")


def contact_requests(payload: NoInput, ports: Ports) -> dict[str, Any]:
    """Open contact-form questions, oldest first (each is purged 90 days after it came)."""
    questions = ports.questions.open_questions(ports.clock.now())
    return {
        "questions": [
            {"question_id": q.question_id, "email": q.email, "message": q.message, "received_at": q.created_at}
            for q in questions
        ]
    }


class DisputeLookupInput(BaseModel):
    model_config = ConfigDict(extra="forbid")

    account_id: str


def dispute_lookup(payload: DisputeLookupInput, ports: Ports) -> dict[str, Any]:
    """P28: the one way to read a deactivated account (for disputes and enforcing the policy):
    its complete export (every kind `shared.data_kinds` classifies as about a person) and the
    record of its legal disclosures."""
    from functions.accounts import export

    account = ports.accounts.get(payload.account_id)
    if account is None:
        return {"error": {"code": "not_found", "message": "No account with that id."}}
    from functions.disclosures import disclosures_of

    return {**export(account, ports), "legal_disclosures": disclosures_of(account.account_id, ports)}


def _print_progress(line: str) -> None:
    print(line, flush=True)


def _lazy(name: str) -> Callable[[], Any]:
    """An input model or operation, imported when its operation runs, not when the app starts."""
    module, _, attribute = name.partition(":")

    def load() -> Any:
        import importlib

        return getattr(importlib.import_module(module), attribute)

    return load


def _operation(name: str, reports_progress: bool = False) -> Operation:
    """A use case run as an operator function; long ones print their progress."""
    function = _lazy(name)

    def operate(payload: Any, ports: Ports) -> dict[str, Any]:
        result: dict[str, Any] = (function()(payload, ports, progress=_print_progress) if reports_progress
                                  else function()(payload, ports))
        return result

    return operate


Operation = Callable[[Any, Ports], dict[str, Any]]
OPERATIONS: dict[str, tuple[Callable[[], type[BaseModel]], Operation]] = {
    "ops_contact_requests": (lambda: NoInput, contact_requests),
    "ops_dispute_lookup": (lambda: DisputeLookupInput, dispute_lookup),
    "ops_send_campaign": (_lazy("functions.campaigns:CampaignInput"),
                          _operation("functions.campaigns:send_campaign", reports_progress=True)),
    "ops_service_announcement": (_lazy("functions.campaigns:AnnouncementInput"),
                                 _operation("functions.campaigns:send_service_announcement", reports_progress=True)),
    "ops_import_pins": (_lazy("functions.inventory:ImportPinsInput"),
                        _operation("functions.inventory:import_pins", reports_progress=True)),
    "ops_requeue_failed_mail": (_lazy("functions.mail_requeue:RequeueInput"),
                                _operation("functions.mail_requeue:requeue_failed_mail")),
    "ops_unsuppress": (_lazy("functions.mail_feedback:UnsuppressInput"), _operation("functions.mail_feedback:unsuppress")),
    "ops_backfill_pin_markers": (_lazy("functions.inventory:BackfillInput"),
                                 _operation("functions.inventory:backfill_pin_markers", reports_progress=True)),
    "ops_referral_report": (lambda: NoInput, _operation("functions.referrals:report")),
    "ops_create_survey": (_lazy("functions.surveys:SurveyDefinition"), _operation("functions.surveys:create_survey")),
    "ops_survey_results": (_lazy("functions.surveys:ResultsInput"), _operation("functions.surveys:results")),
    "ops_draw_contest": (_lazy("functions.contests:DrawInput"), _operation("functions.contests:draw")),
    "ops_verify_draw": (_lazy("functions.contests:VerifyInput"), _operation("functions.contests:verify_draw")),
    "ops_publish_policy": (_lazy("functions.notices:PublishPolicyInput"), _operation("functions.notices:publish_policy")),
    "ops_post_notice": (_lazy("functions.notices:PostNoticeInput"), _operation("functions.notices:post_notice")),
    "ops_record_disclosure": (_lazy("functions.disclosures:DisclosureInput"),
                              _operation("functions.disclosures:record_disclosure")),
    "ops_access_trends": (_lazy("functions.access_trends:AccessTrendsInput"),
                          _operation("functions.access_trends:access_trends")),
    "ops_payment_exceptions": (lambda: NoInput, _operation("functions.payments:payment_exceptions")),
    "ops_drain_feedback_dead_letters": (_lazy("functions.feedback_dead_letters:DrainInput"),
                                        _operation("functions.feedback_dead_letters:drain_feedback_dead_letters")),
}


def run(name: str, payload: Any, ports: Ports) -> dict[str, Any]:
    """Validate the input, run the operation, and audit it; bad input does nothing but answer."""
    from pydantic import ValidationError

    model, operation = OPERATIONS[name]
    try:
        arguments = model().model_validate(payload if payload is not None else {})
    except ValidationError as error:
        problems = [f"{'.'.join(map(str, p['loc'])) or 'input'}: {p['msg']}" for p in error.errors(include_input=False)]
        return {"error": {"code": "validation_error", "message": "; ".join(problems)}}
    try:
        result = operation(arguments, ports)
    except DomainError as error:  # refused after validation (e.g. a re-run with another message): nothing done
        return {"error": {"code": error.code, "message": error.message}}
    ports.audit.record(AuditEntry(name, ports.clock.iso(), new_id(), getattr(arguments, "account_id", None),
                                  detail=getattr(arguments, "reason", None)))
    return result
