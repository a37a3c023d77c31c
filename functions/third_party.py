"""Hand-offs to third parties that are not our processors (P13): none exists today. This is
the guard any future one must pass: it is declared with the notice the customer reads, and
it runs only after the customer's explicit choice, recorded in their consent history."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable

from shared.errors import DomainError
from shared.ids import new_id
from shared.ports import Ports
from shared.store.accounts import Account, ConsentEvent
from shared.store.table import Transaction


@dataclass(frozen=True)
class HandOff:
    """A third party (not our agent) that would collect a customer's data, and what it gets."""

    handoff_id: str
    recipient: str
    fields: frozenset[str]
    notice: str  # shown before the choice: who collects what, and why


class NoChoice(DomainError):
    code = "choice_required"
    status = 403


def _choice_key(handoff: HandOff) -> str:
    return f"handoff:{handoff.handoff_id}"


def record_choice(account: Account, handoff: HandOff, accepted: bool, ports: Ports) -> None:
    """The customer read the notice and chose: kept in their consent history, with the time."""
    tx = Transaction()
    ports.accounts.add_consent_event(tx, ConsentEvent(account.account_id, ports.clock.iso(), new_id(),
                                                      f"notice:{handoff.handoff_id}", {_choice_key(handoff): accepted}))
    ports.table.commit(tx)


def has_chosen(account: Account, handoff: HandOff, ports: Ports) -> bool:
    """The customer's latest choice about this hand-off is yes."""
    choices = [event["topics"][_choice_key(handoff)] for event in ports.accounts.consent_history(account.account_id)
               if _choice_key(handoff) in event["topics"]]
    return bool(choices) and bool(choices[-1])


def hand_off(account: Account, handoff: HandOff, data: dict[str, Any], send: Callable[[dict[str, Any]], Any],
             ports: Ports) -> Any:
    """Send `data` to the third party through `send`, only after the customer's recorded yes,
    and only the fields the hand-off declares."""
    if not has_chosen(account, handoff, ports):
        raise NoChoice(f"{handoff.recipient} may receive your data only once you have read its notice and agreed.")
    undeclared = set(data) - handoff.fields
    if undeclared:
        raise ValueError(f"hand-off {handoff.handoff_id} carries undeclared fields: {sorted(undeclared)}")
    return send(data)
