"""Set-up of figure 6 (bench.address_timing), not measured: each round's accounts in every
state, referred and forgotten addresses, signed-in callers, made through the app's routes
and then checked in the store; and the helpers the measured requests share."""
from __future__ import annotations

import json
import time
import uuid
from dataclasses import dataclass

# Each round's accounts, by the status they are left in; the caller signs in to refer and to
# change its address, the referrer refers the round's referred and forgotten addresses.
PENDING = ("signup.pending", "login.pending")
DEACTIVATED = ("signup.deactivated", "login.deactivated")
ACTIVE = ("signup.active", "login.active", "unsubscribe.subscribed", "forget_friend.active", "customer",
          "forget.customer", "caller", "referrer")
SUBSCRIBED = ("unsubscribe.subscribed",)
REFERRED = ("forget_friend.referred", "referred", "forget.referred", "forgotten")
FORGOTTEN = ("forgotten",)


def _address(role: str) -> str:
    return f"bench.addr.{role.replace('/', '-')}.{uuid.uuid4().hex[:10]}@example.org"


def _json(client, method: str, path: str, body: dict, cookie: str | None = None):
    headers = {"Content-Type": "application/json", **({"Cookie": cookie} if cookie else {})}
    return client.http.request(method, path, headers=headers, body=json.dumps(body).encode())


def _checked(answer, status: int, what: str):
    if answer.status_code != status:
        raise RuntimeError(f"{what}: status {answer.status_code}, expected {status}: {answer.body[:500]!r}")
    return answer


# -- setup, not measured -----------------------------------------------------------------------


@dataclass
class Round:
    """One round's known addresses by role, and its caller's session cookie."""

    addresses: dict[str, str]
    cookie: str = ""


def _login_link(address: str) -> str:
    """A confirm link for the pending account at the address, minted as the outbox mints the
    welcome mail's when it sends it: its path."""
    from urllib.parse import urlparse

    from functions.one_time_links import mint
    from shared.ids import address_hash
    from shared.ports import process_ports

    ports = process_ports()
    account_id = ports.accounts.account_id_for(address_hash(address, ports.settings.hash_key()))
    if account_id is None:
        raise RuntimeError("setup: an account the bench signed up is missing")
    return urlparse(mint(account_id, "confirm", ports)).path


def _use_link(client, path: str, topics: tuple[str, ...] = ()) -> str:
    """Press the link on our own page as a browser posts it (ticking `topics`): the session
    cookie it sets, as NAME=VALUE (local_stage.customers.use_sign_in_link, with topics)."""
    from urllib.parse import urlencode

    from shared.ports import process_ports

    used = client.http.post(path, body=urlencode({t: "on" for t in topics}), headers={
        "Content-Type": "application/x-www-form-urlencoded", "Origin": process_ports().settings.base_url})
    cookie = (used.headers.get("Set-Cookie") or "").split(";", 1)[0]
    if used.status_code != 303 or not cookie.startswith("__Host-session="):
        raise RuntimeError(f"sign-in link: status {used.status_code}, cookie {cookie[:20]!r}")
    return cookie


def _set_up(client, count: int, progress) -> list[Round]:
    rounds = [Round({role: _address(role) for role in (*PENDING, *DEACTIVATED, *ACTIVE, *REFERRED)})
              for _ in range(count)]
    started = time.perf_counter()
    for r in rounds:
        for role in (*PENDING, *DEACTIVATED, *ACTIVE):
            _checked(_json(client, "POST", "/signup", {"email": r.addresses[role], "name": "Bench Caller"}), 202,
                     "setup signup")
    for r in rounds:
        cookies = {role: _use_link(client, _login_link(r.addresses[role]), ("newsletter", "promotions")
                                   if role in SUBSCRIBED else ()) for role in (*DEACTIVATED, *ACTIVE)}
        r.cookie = cookies["caller"]
        for role in DEACTIVATED:
            _checked(_json(client, "POST", "/account/deactivate", {}, cookies[role]), 200, "setup deactivation")
        for role in REFERRED:
            _checked(_json(client, "POST", "/referrals", {"friend_name": "Kim", "friend_email": r.addresses[role]},
                           cookies["referrer"]), 202, "setup referral")
        for role in FORGOTTEN:
            _checked(_json(client, "POST", "/friends/forget", {"email": r.addresses[role]}), 202, "setup forget")
    _check_kinds(rounds)
    progress(f"address timing: set up {count} rounds' addresses in {time.perf_counter() - started:.0f} s")
    return rounds


def _check_kinds(rounds: list[Round]) -> None:
    """Each role's address is what its name says, as the store holds it: accounts by their
    status; each round's referrer sent an invitation to every referred address (the
    operators' referral report, counters only); the forget markers."""
    from functions.referrals import report
    from shared.ids import address_hash, mailbox_key
    from shared.ports import process_ports

    ports = process_ports()
    key = ports.settings.hash_key()
    invitations = {r["referrer_id"]: r["invitations"] for r in report(None, ports)["referrers"]}

    def account_of(address: str):
        account_id = ports.accounts.account_id_for(address_hash(address, key))
        return ports.accounts.get(account_id) if account_id else None

    for r in rounds:
        for roles, expected in ((PENDING, "pending"), (DEACTIVATED, "deactivated"), (ACTIVE, "active")):
            for role in roles:
                account = account_of(r.addresses[role])
                status = str(getattr(account.status, "value", account.status)) if account else None
                if status != expected:
                    raise RuntimeError(f"setup: the {role} address's account is {status}, not {expected}")
        for role in SUBSCRIBED:
            stored = ports.accounts.preferences(account_of(r.addresses[role]).account_id)
            if not (stored and all(stored.topics.get(t) for t in ("newsletter", "promotions"))):
                raise RuntimeError(f"setup: the {role} address's topics are not on")
        referrer = account_of(r.addresses["referrer"])
        if invitations.get(referrer.account_id) != len(REFERRED):
            raise RuntimeError(f"setup: the referrer's invitations: {invitations.get(referrer.account_id)}, "
                               f"not {len(REFERRED)}")
        for role in REFERRED:
            if account_of(r.addresses[role]) is not None:
                raise RuntimeError(f"setup: the {role} address has an account")
            if ports.outbox.is_forgotten(mailbox_key(r.addresses[role], key)) != (role in FORGOTTEN):
                raise RuntimeError(f"setup: the {role} address's forget marker is not as it should be")

