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
    """Encrypt and add each PIN not imported before. A PIN is known by the KMS MAC of
    (sku, PIN), written with it in one conditional write, one PIN at a time (a batch write
    cannot be conditional): re-running a file, or one that overlaps an earlier one, adds
    nothing twice and says how many it skipped."""
    at = ports.clock.iso()
    new_pins = payload.pins or []
    seen: set[str] = set()
    added = known = repeated = 0
    for n, new in enumerate(new_pins, start=1):
        mac = ports.pin_vault.mac(payload.sku, new.pin)
        if mac in seen:
            repeated += 1  # the same PIN twice in this input
            continue
        seen.add(mac)
        pin_id = new_id()
        pin = Pin(sku=payload.sku, pin_id=pin_id, encrypted_pin=ports.pin_vault.encrypt(new.pin, payload.sku, pin_id),
                  dialing_instructions=new.dialing_instructions, imported_at=at)
        if ports.commerce.put_pin_once(pin, mac):
            added += 1
        else:
            known += 1
        if n % 500 == 0:
            progress(f"{n}/{len(new_pins)} PINs: {added} added, {known} imported before, {repeated} repeated")
    fulfilled = fulfil_waiting_orders(payload.sku, ports)
    return {"sku": payload.sku, "imported": added, "already_imported": known, "repeated_in_input": repeated,
            "orders_fulfilled": fulfilled}


class BackfillInput(BaseModel):
    model_config = ConfigDict(extra="forbid")

    sku: Optional[str] = None  # one SKU, or every SKU of the catalog


def backfill_pin_markers(payload: BackfillInput, ports: Ports,
                         progress: Callable[[str], None] = lambda line: None) -> dict[str, Any]:
    """ops_backfill_pin_markers: give the PINs imported before markers existed theirs, so
    that importing one of them again adds nothing. Each PIN is decrypted only to compute
    its MAC, inside this function, and never leaves it."""
    from shared.catalog import products

    if payload.sku is not None and product(payload.sku) is None:
        return {"error": {"code": "validation_error", "message": f"sku: no product {payload.sku!r}"}}
    skus = [payload.sku] if payload.sku else sorted(products())
    marked = already = 0
    for sku in skus:
        for pin in ports.commerce.pins_of_sku(sku):
            mac = ports.pin_vault.mac(sku, ports.pin_vault.decrypt(pin.encrypted_pin, sku, pin.pin_id))
            if ports.commerce.mark_pin(sku, mac, pin.pin_id, ports.clock.iso()):
                marked += 1
            else:
                already += 1
        progress(f"{sku}: {marked} marked so far, {already} had a marker")
    return {"skus": skus, "marked": marked, "already_marked": already}
