"""Customers made through the real use cases on the fake ports."""
from __future__ import annotations

from functions.one_time_links import mint
from functions.sign_in_links import ConfirmChoice, use
from functions.signup import SignupRequest, sign_up
from shared.ids import address_hash
from shared.ports import Ports
from shared.store.accounts import Account


EVERY_TOPIC = ConfirmChoice(topics={"newsletter": True, "promotions": True})  # ticked on the confirm page


def subscriber(ports: Ports, n: int) -> Account:
    """readerN@example.org, signed up and confirmed through its link, where the reader
    ticked every topic and gave the name "Reader N" (P02: consent comes from the confirm page)."""
    address = f"reader{n}@example.org"
    sign_up(SignupRequest(email=address, name=f"Reader {n}", promotions=True), ports)
    account_id = ports.accounts.account_id_for(address_hash(address, ports.settings.hash_key()))
    assert account_id is not None
    choice = ConfirmChoice(name=f"Reader {n}", topics={"newsletter": True, "promotions": True})
    return use(mint(account_id, "confirm", ports).rsplit("/", 1)[1], ports, choice=choice).account
