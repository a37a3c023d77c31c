"""Demo stock for the local stage: a few PINs for every product, imported the way an
operator imports them (encrypted with the stage's KMS key)."""
from __future__ import annotations

import secrets

PINS_PER_PRODUCT = 20


def seed_catalog(ports) -> int:
    from functions.inventory import ImportPinsInput, import_pins
    from shared.catalog import products

    imported = 0
    for sku, product in products().items():
        pins = [{"pin": f"{secrets.randbelow(10**12):012d}",
                 "dialing_instructions": f"Dial the access number 1-800-555-0100, enter the PIN, then the number in "
                                         f"{product.destination} with its country code."}
                for _ in range(PINS_PER_PRODUCT)]
        imported += import_pins(ImportPinsInput(sku=sku, pins=pins), ports)["imported"]
    return imported
