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


OPERATIONS = {"ops_contact_requests": (NoInput, contact_requests)}


def run(name: str, payload, ports=None) -> dict:
    """Validate the input, run the operation, and audit it; bad input does nothing but answer."""
    from pydantic import ValidationError

    if ports is None:
        from shared.ports import default_ports

        ports = default_ports()
    model, operation = OPERATIONS[name]
    try:
        arguments = model.model_validate(payload if payload is not None else {})
    except ValidationError as error:
        problems = [f"{'.'.join(map(str, p['loc'])) or 'input'}: {p['msg']}" for p in error.errors(include_input=False)]
        return {"error": {"code": "validation_error", "message": "; ".join(problems)}}
    result = operation(arguments, ports)
    ports.store.record_audit(name, ports.clock.iso(), new_id())
    return result
