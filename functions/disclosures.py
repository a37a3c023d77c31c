"""Legal disclosures (P01, P18): when the law requires the store to hand over personal data,
an operator records who received what, on which legal basis and when. The record is kept,
including after the account is closed, and the run is audited like every operator function."""
from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from shared.errors import InvalidInput
from shared.ids import new_id
from shared.ports import Ports
from shared.store.audit import Disclosure

Text = Annotated[str, StringConstraints(strip_whitespace=True, min_length=3, max_length=500)]
DisclosedField = Literal["email", "name", "orders", "preferences", "consent_history", "referrals"]


class DisclosureInput(BaseModel):
    model_config = ConfigDict(extra="forbid")

    account_id: Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9_-]{8,64}$")]
    recipient: Text
    legal_basis: Text
    fields: list[DisclosedField] = Field(min_length=1)


def record_disclosure(payload: DisclosureInput, ports: Ports) -> dict[str, Any]:
    if ports.accounts.get(payload.account_id) is None:
        raise InvalidInput("account_id: there is no such account")
    disclosure = Disclosure(payload.account_id, new_id(), ports.clock.iso(), payload.recipient, payload.legal_basis,
                            sorted(set(payload.fields)))
    ports.audit.record_disclosure(disclosure)
    return {"disclosure_id": disclosure.disclosure_id, "recorded_at": disclosure.at}


def disclosures_of(account_id: str, ports: Ports) -> list[dict[str, Any]]:
    return [{"recipient": d.recipient, "legal_basis": d.legal_basis, "fields": d.fields, "at": d.at}
            for d in ports.audit.disclosures(account_id)]
