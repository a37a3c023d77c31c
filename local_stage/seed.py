"""Demo stock for the local stage: a few PINs for every product, imported the way an
operator imports them (encrypted with the stage's KMS key)."""
from __future__ import annotations

import secrets

PINS_PER_PRODUCT = 20


def seed_catalog(ports) -> int:
    from functions.inventory import ImportPinsInput, import_pins
    from shared.catalog import destinations, products, toll_free_number

    imported = 0
    codes = {d.country_name: d.example_number.split()[0] for d in destinations().values()}
    for sku, product in products().items():
        pins = [{"pin": f"{secrets.randbelow(10**12):012d}",
                 "dialing_instructions": f"Dial the access number {toll_free_number().number}, enter the PIN, then "
                                         f"011, {product.destination}'s country code {codes[product.destination]} "
                                         f"and the number, then #."}
                for _ in range(PINS_PER_PRODUCT)]
        imported += import_pins(ImportPinsInput(sku=sku, pins=pins), ports)["imported"]
    return imported


def seed_surveys(ports) -> list[str]:
    """One open survey and one open contest, created the way an operator creates them."""
    from datetime import datetime, timedelta, timezone

    from functions.surveys import SurveyDefinition, create_survey

    now = datetime.fromtimestamp(ports.clock.now(), timezone.utc)
    window = {"opens_at": now - timedelta(days=1), "closes_at": now + timedelta(days=30)}
    survey = SurveyDefinition(
        title="How do you use your calling cards?", kind="survey", purpose="To choose which destinations to stock.",
        retention_days=90, questions=[
            {"id": "destination", "text": "Which country do you call most?", "type": "choice", "required": True,
             "options": ["Mexico", "India", "Philippines", "Another country"]},
            {"id": "minutes", "text": "About how many minutes a month?", "type": "number", "min": 0, "max": 10000},
            {"id": "wish", "text": "What should we add to the store?", "type": "text"},
        ], **window)
    contest = SurveyDefinition(
        title="Win a year of calls home", kind="contest",
        purpose="To draw three winners, tell them, and send each a prize card.", retention_days=60,
        prize="A $100 calling card for the destination of your choice",
        contact_fields=["name", "email", "shipping_address", "zip"], questions=[
            {"id": "features", "text": "Which would you like us to offer?", "type": "multi_choice",
             "options": ["Cheaper rates at night", "Cards by text message", "Gift cards"]},
        ], **window)
    return [create_survey(definition, ports)["survey_id"] for definition in (survey, contest)]
