"""PIN import (ops_import_pins): each PIN encrypted with the KMS key before it is stored,
then the orders paid while the SKU was out of stock are fulfilled."""
from __future__ import annotations

import csv
import io
from typing import Any, Callable, Optional

from pydantic import BaseModel, ConfigDict, Field, model_validator
from typing_extensions import Annotated

from functions.fulfilment import fulfil_waiting_orders
from shared.catalog import product
from shared.ids import new_id
from shared.ports import Ports
from shared.store.commerce import Pin

PinText = Annotated[str, Field(pattern=r"^[0-9A-Za-z-]{4,40}$")]
Instructions = Annotated[str, Field(min_length=1, max_length=1000)]


class NewPin(BaseModel):
    model_config = ConfigDict(extra="forbid")

    pin: PinText
    dialing_instructions: Instructions


class ImportPinsInput(BaseModel):
    """`pins` as JSON, or `csv` with a header line `pin,dialing_instructions`."""

    model_config = ConfigDict(extra="forbid")

    sku: str
    pins: Optional[list[NewPin]] = Field(default=None, min_length=1, max_length=10_000)
    csv: Optional[str] = Field(default=None, max_length=5_000_000)

    @model_validator(mode="after")
    def _one_source(self) -> ImportPinsInput:
        if product(self.sku) is None:
            raise ValueError(f"sku: no product {self.sku!r}")
        if (self.pins is None) == (self.csv is None):
            raise ValueError("give either pins or csv")
        if self.csv is not None:
            rows = list(csv.DictReader(io.StringIO(self.csv.strip())))
            if not rows or set(rows[0]) != {"pin", "dialing_instructions"}:
                raise ValueError("csv: header must be pin,dialing_instructions and at least one row follow")
            self.pins = [NewPin.model_validate(row) for row in rows]
            self.csv = None
        return self


def import_pins(payload: ImportPinsInput, ports: Ports,
                progress: Callable[[str], None] = lambda line: None) -> dict[str, Any]:
    at = ports.clock.iso()
    new_pins = payload.pins or []
    stored = []
    for n, new in enumerate(new_pins, start=1):
        pin_id = new_id()
        stored.append(Pin(sku=payload.sku, pin_id=pin_id, encrypted_pin=ports.pins.encrypt(new.pin, payload.sku, pin_id),
                          dialing_instructions=new.dialing_instructions, imported_at=at))
        if n % 500 == 0:
            progress(f"{n}/{len(new_pins)} PINs encrypted")
    ports.commerce.put_pins(stored)
    fulfilled = fulfil_waiting_orders(payload.sku, ports)
    return {"sku": payload.sku, "imported": len(stored), "orders_fulfilled": fulfilled}
