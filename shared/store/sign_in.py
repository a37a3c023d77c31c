"""Sign-in: one-time link tokens, sessions, pending address changes, the link-mail counter.

Key shapes: `LOGIN#<sha256>` / `TOKEN`; `SESSION#<sha256>` / `SESSION` (gsi1
`SESSIONS#<account>` / `<created>`); `ACCOUNT#<id>` / `EMAIL_CHANGE`;
`LINKMAIL#<hmac>` / `HOUR#<n>` (every mail to an address not yet proven, not only links);
`CHANGEREQUESTS#<account>` / `HOUR#<n>`. Only hashes of tokens are stored. Every read of an item
with `expires_at` checks it: DynamoDB's TTL deletes only within about two days.
"""
from __future__ import annotations

from dataclasses import asdict, dataclass

from shared.store.expressions import Attr, Changes, Item
from shared.store.table import (
    Check,
    Delete,
    Entity,
    Key,
    Put,
    Table,
    Transaction,
    Update,
    query_all,
)

LINK_MAIL_CAP = "link_mail_cap"
TOKEN_SPENT = "token_spent"  # the link was used, expired or never existed
CHANGE_REPLACED = "email_change_replaced"
CHANGE_CAP = "email_change_cap"


@dataclass
class LoginToken(Entity):
    """A link token's hash; the token itself exists only in the mail that carries it."""

    token_hash: str
    account_id: str
    purpose: str
    expires_at: int
    ref: str | None = None  # what the link is for beyond its account: an address change's request
    generation: int = 0  # the account's link generation when the link was minted (Account.link_generation)
    return_to: str | None = None  # the page a sign-in goes back to (checked by the edge, stored, never in the link)

    @staticmethod
    def key(token_hash: str) -> Key:
        return {"pk": f"LOGIN#{token_hash}", "sk": "TOKEN"}

    def to_item(self) -> Item:
        item = {**self.key(self.token_hash), "type": "login_token", **asdict(self)}
        return {k: v for k, v in item.items() if v is not None}


@dataclass
class Session(Entity):
    """A signed-in browser. The cookie holds the token; only its hash is stored."""

    token_hash: str
    account_id: str
    created_at: str
    expires_at: int

    @staticmethod
    def key(token_hash: str) -> Key:
        return {"pk": f"SESSION#{token_hash}", "sk": "SESSION"}

    def to_item(self) -> Item:
        return {**self.key(self.token_hash), "type": "session", **asdict(self),
                "gsi1pk": f"SESSIONS#{self.account_id}", "gsi1sk": self.created_at}


@dataclass
class EmailChange(Entity):
    """An address change waiting for its confirmation link to be used."""

    account_id: str
    new_email: str
    new_email_hash: str
    expires_at: int
    change_id: str = ""  # each request's own id: its link names it, so a newer request ends older links

    @staticmethod
    def key(account_id: str) -> Key:
        return {"pk": f"ACCOUNT#{account_id}", "sk": "EMAIL_CHANGE"}

    def to_item(self) -> Item:
        return {**self.key(self.account_id), "type": "email_change", **asdict(self)}


def _change_requests_key(account_id: str, hour: int) -> Key:
    return {"pk": f"CHANGEREQUESTS#{account_id}", "sk": f"HOUR#{hour}"}


def _link_mail_key(email_hash: str, hour: int) -> Key:
    return {"pk": f"LINKMAIL#{email_hash}", "sk": f"HOUR#{hour}"}


def _unexpired(item: Item | None, now: float) -> Item | None:
    return item if item and item["expires_at"] > now else None


class SignInRepository:
    def __init__(self, table: Table) -> None:
        self._table = table

    # -- link tokens ----------------------------------------------------------------------
    def put_login_token(self, token: LoginToken) -> None:
        self._table.put(Put(token.to_item()))

    def login_token(self, token_hash: str, now: float) -> LoginToken | None:
        """Reads only (mail scanners prefetch links, so looking must not use the token)."""
        item = _unexpired(self._table.get(LoginToken.key(token_hash), consistent=False), now)
        return LoginToken.from_item(item) if item else None

    def add_token_use(self, tx: Transaction, token_hash: str, now: float) -> None:
        """Spend the link with the change it makes: TOKEN_SPENT fails when it was used or
        expired, and then nothing of the transaction happens."""
        tx.add(Delete(LoginToken.key(token_hash), Attr("pk").exists() & (Attr("expires_at") > int(now)),
                      tag=TOKEN_SPENT))

    def add_link_mail_count(self, tx: Transaction, email_hash: str, hour: int, cap: int) -> None:
        """Count one link mail to the address in this hour; LINK_MAIL_CAP fails past `cap`."""
        tx.add(Update(_link_mail_key(email_hash, hour), Changes(set={"expires_at": (hour + 2) * 3600}, add={"sent": 1}),
                      Attr("sent").absent() | (Attr("sent") < cap), tag=LINK_MAIL_CAP))

    def add_link_mail_room_check(self, tx: Transaction, email_hash: str, hour: int, cap: int) -> None:
        """The address may get one more mail this hour (LINK_MAIL_CAP fails otherwise); counts nothing."""
        tx.add(Check(_link_mail_key(email_hash, hour), Attr("sent").absent() | (Attr("sent") < cap),
                     tag=LINK_MAIL_CAP))

    def add_email_change_count(self, tx: Transaction, account_id: str, hour: int) -> None:
        """Count one address-change request of the account in this hour, whatever becomes of it."""
        tx.add(Update(_change_requests_key(account_id, hour),
                      Changes(set={"expires_at": (hour + 2) * 3600}, add={"sent": 1})))

    def add_email_change_room_check(self, tx: Transaction, account_id: str, hour: int, cap: int) -> None:
        """The account's requests this hour, this one counted, are within `cap` (CHANGE_CAP otherwise)."""
        tx.add(Check(_change_requests_key(account_id, hour), Attr("sent") <= cap, tag=CHANGE_CAP))

    # -- sessions -------------------------------------------------------------------------
    def put_session(self, session: Session) -> None:
        self._table.put(Put(session.to_item()))

    def session(self, token_hash: str, now: float) -> Session | None:
        item = _unexpired(self._table.get(Session.key(token_hash)), now)
        return Session.from_item(item) if item else None

    def delete_session(self, token_hash: str) -> None:
        self._table.delete(Delete(Session.key(token_hash)))

    def sessions_of(self, account_id: str, now: float) -> list[Session]:
        """An account's sessions in force, oldest first (its export: when each began and ends)."""
        return [Session.from_item(i) for i in query_all(self._table, f"SESSIONS#{account_id}", index="gsi1")
                if i["expires_at"] > now]

    def delete_sessions_of(self, account_id: str, keep: str | None = None) -> int:
        """End every session of an account but `keep` (a token hash); returns how many ended."""
        hashes = [i["token_hash"] for i in query_all(self._table, f"SESSIONS#{account_id}", index="gsi1")
                  if i["token_hash"] != keep]
        for token_hash in hashes:
            self.delete_session(token_hash)
        return len(hashes)

    # -- address changes ------------------------------------------------------------------
    def add_email_change(self, tx: Transaction, change: EmailChange) -> None:
        tx.add(Put(change.to_item()))

    def email_change(self, account_id: str, now: float) -> EmailChange | None:
        item = _unexpired(self._table.get(EmailChange.key(account_id)), now)
        return EmailChange.from_item(item) if item else None

    def add_email_change_done(self, tx: Transaction, account_id: str, change_id: str) -> None:
        """The change is applied: CHANGE_REPLACED fails when a newer request replaced it."""
        tx.add(Delete(EmailChange.key(account_id), Attr("change_id") == change_id, tag=CHANGE_REPLACED))
