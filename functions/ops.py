"""Operator functions: `chalice invoke -n NAME` in a stage, `make ops NAME=...` locally.

Each run writes an audit record (which function, when, on which account). The caller hands
in the ports (the edge's bootstrap, or a test's fakes).
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
    """P28: the one way to read a deactivated account (for disputes and enforcing the policy)."""
    from functions.accounts import export

    account = ports.accounts.get(payload.account_id)
    if account is None:
        return {"error": {"code": "not_found", "message": "No account with that id."}}
    return export(account, ports)


def _print_progress(line: str) -> None:
    print(line, flush=True)


def _campaign(payload: Any, ports: Ports) -> dict[str, Any]:
    from functions.campaigns import send_campaign

    return send_campaign(payload, ports, progress=_print_progress)


def _announcement(payload: Any, ports: Ports) -> dict[str, Any]:
    from functions.campaigns import send_service_announcement

    return send_service_announcement(payload, ports, progress=_print_progress)


def _import_pins(payload: Any, ports: Ports) -> dict[str, Any]:
    from functions.inventory import import_pins

    return import_pins(payload, ports, progress=_print_progress)


def _requeue(payload: Any, ports: Ports) -> dict[str, Any]:
    from functions.mail_requeue import requeue_failed_mail

    return requeue_failed_mail(payload, ports)


def _backfill(payload: Any, ports: Ports) -> dict[str, Any]:
    from functions.inventory import backfill_pin_markers

    return backfill_pin_markers(payload, ports, progress=_print_progress)


def _unsuppress(payload: Any, ports: Ports) -> dict[str, Any]:
    from functions.mail_feedback import unsuppress

    return unsuppress(payload, ports)


def _model(name: str) -> Callable[[], type[BaseModel]]:
    """Input models are imported when their operation runs, not when the app starts."""
    module, _, attribute = name.partition(":")

    def load() -> type[BaseModel]:
        import importlib

        model: type[BaseModel] = getattr(importlib.import_module(module), attribute)
        return model

    return load


Operation = Callable[[Any, Ports], dict[str, Any]]
OPERATIONS: dict[str, tuple[Callable[[], type[BaseModel]], Operation]] = {
    "ops_contact_requests": (lambda: NoInput, contact_requests),
    "ops_dispute_lookup": (lambda: DisputeLookupInput, dispute_lookup),
    "ops_send_campaign": (_model("functions.campaigns:CampaignInput"), _campaign),
    "ops_service_announcement": (_model("functions.campaigns:AnnouncementInput"), _announcement),
    "ops_import_pins": (_model("functions.inventory:ImportPinsInput"), _import_pins),
    "ops_requeue_failed_mail": (_model("functions.mail_requeue:RequeueInput"), _requeue),
    "ops_unsuppress": (_model("functions.mail_feedback:UnsuppressInput"), _unsuppress),
    "ops_backfill_pin_markers": (_model("functions.inventory:BackfillInput"), _backfill),
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
