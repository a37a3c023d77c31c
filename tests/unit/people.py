"""Customers made through the real use cases on the fake ports."""
from __future__ import annotations

from functions.one_time_links import mint
from functions.sign_in_links import use
from functions.signup import SignupRequest, sign_up
from shared.ids import email_hash
from shared.ports import Ports
from shared.store.accounts import Account


def subscriber(ports: Ports, n: int) -> Account:
    """readerN@example.org, signed up with promotions on and confirmed through its link."""
    address = f"reader{n}@example.org"
    sign_up(SignupRequest(email=address, name=f"Reader {n}", promotions=True), ports)
    account_id = ports.accounts.account_id_for(email_hash(address, ports.settings.hash_key()))
    assert account_id is not None
    return use(mint(account_id, "confirm", ports).rsplit("/", 1)[1], ports).account
