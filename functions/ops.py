"""Operator functions: `chalice invoke -n NAME` in a stage, `make ops NAME=...` locally.

Each run writes an audit record (which function, when, whether it succeeded).
"""
from __future__ import annotations

from pydantic import BaseModel, ConfigDict

from shared.ids import new_id


class NoInput(BaseModel):
    model_config = ConfigDict(extra="forbid")


def contact_requests(payload: NoInput, ports) -> dict:
    """Open contact-form questions, oldest first (each is purged 90 days after it came)."""
    questions = ports.store.open_questions(ports.clock.now())
    return {
        "questions": [
            {"question_id": q.question_id, "email": q.email, "message": q.message, "received_at": q.created_at}
            for q in questions
        ]
    }


class DisputeLookupInput(BaseModel):
    model_config = ConfigDict(extra="forbid")

    account_id: str


def dispute_lookup(payload: DisputeLookupInput, ports) -> dict:
    """P28: the one way to read a deactivated account (for disputes and enforcing the policy)."""
    from functions.accounts import export

    account = ports.store.get_account(payload.account_id)
    if account is None:
        return {"error": {"code": "not_found", "message": "No account with that id."}}
    return export(account, ports)


def _campaign(payload, ports):
    from functions.campaigns import send_campaign

    return send_campaign(payload, ports, progress=_print_progress)


def _announcement(payload, ports):
    from functions.campaigns import send_service_announcement

    return send_service_announcement(payload, ports, progress=_print_progress)


def _print_progress(line: str) -> None:
    print(line, flush=True)


def _import_pins(payload, ports):
    from functions.inventory import import_pins

    return import_pins(payload, ports, progress=_print_progress)


def _import_model():
    from functions.inventory import ImportPinsInput

    return ImportPinsInput


def _models():
    from functions.campaigns import AnnouncementInput, CampaignInput

    return CampaignInput, AnnouncementInput


OPERATIONS = {
    "ops_contact_requests": (lambda: NoInput, contact_requests),
    "ops_dispute_lookup": (lambda: DisputeLookupInput, dispute_lookup),
    "ops_send_campaign": (lambda: _models()[0], _campaign),
    "ops_service_announcement": (lambda: _models()[1], _announcement),
    "ops_import_pins": (_import_model, _import_pins),
}


def run(name: str, payload, ports=None) -> dict:
    """Validate the input, run the operation, and audit it; bad input does nothing but answer."""
    from pydantic import ValidationError

    if ports is None:
        from shared.ports import default_ports

        ports = default_ports()
    model, operation = OPERATIONS[name]
    try:
        arguments = model().model_validate(payload if payload is not None else {})
    except ValidationError as error:
        problems = [f"{'.'.join(map(str, p['loc'])) or 'input'}: {p['msg']}" for p in error.errors(include_input=False)]
        return {"error": {"code": "validation_error", "message": "; ".join(problems)}}
    result = operation(arguments, ports)
    ports.store.record_audit(name, ports.clock.iso(), new_id(), getattr(arguments, "account_id", None))
    return result
