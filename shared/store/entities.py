"""Items in the one table. Each entity owns its key shape; ACCESS_PATTERNS.md lists them.

No key holds personal data in clear: addresses appear in keys only as a keyed hash.
"""
from __future__ import annotations

import zlib
from dataclasses import asdict, dataclass, field

AUDIENCE_SHARDS = 16
UNSENT_INDEX_KEY = "MAIL#UNSENT"
OPEN_QUESTIONS_INDEX_KEY = "CONTACT#OPEN"


def shard_of(account_id: str) -> int:
    return zlib.crc32(account_id.encode()) % AUDIENCE_SHARDS


def audience_key(topic: str, account_id: str) -> dict:
    """Membership of an opted-in, active account in a topic's audience (sharded)."""
    return {"pk": f"AUDIENCE#{topic}#{shard_of(account_id)}", "sk": f"ACCOUNT#{account_id}"}


def active_index_key(account_id: str) -> dict:
    """The sparse index entry every active account has: service mail's audience."""
    return {"gsi1pk": f"ACTIVE#{shard_of(account_id)}", "gsi1sk": f"ACCOUNT#{account_id}"}


@dataclass
class Account:
    account_id: str
    email: str
    email_hash: str
    name: str
    status: str
    created_at: str
    policy_version: int

    @staticmethod
    def key(account_id: str) -> dict:
        return {"pk": f"ACCOUNT#{account_id}", "sk": "PROFILE"}

    def to_item(self) -> dict:
        item = {**self.key(self.account_id), "type": "account", **asdict(self)}
        if self.status == "active":
            item.update(active_index_key(self.account_id))
        return item

    @classmethod
    def from_item(cls, item: dict) -> "Account":
        return cls(**{k: item[k] for k in cls.__dataclass_fields__})


@dataclass
class EmailLookup:
    """Unique per address: the conditional put on it is what makes signup idempotent."""

    email_hash: str
    account_id: str

    @staticmethod
    def key(email_hash: str) -> dict:
        return {"pk": f"EMAIL#{email_hash}", "sk": "ACCOUNT"}

    def to_item(self) -> dict:
        return {**self.key(self.email_hash), "type": "email_lookup", "account_id": self.account_id}


@dataclass
class Preferences:
    account_id: str
    topics: dict[str, bool]
    updated_at: str

    @staticmethod
    def key(account_id: str) -> dict:
        return {"pk": f"ACCOUNT#{account_id}", "sk": "PREFS"}

    def to_item(self) -> dict:
        return {**self.key(self.account_id), "type": "preferences", **asdict(self)}

    @classmethod
    def from_item(cls, item: dict) -> "Preferences":
        return cls(account_id=item["account_id"], topics=dict(item["topics"]), updated_at=item["updated_at"])


@dataclass
class ConsentEvent:
    """Append-only record of every preference change: what, when, and through which door."""

    account_id: str
    at: str
    event_id: str
    source: str
    topics: dict[str, bool]

    def key(self) -> dict:
        return {"pk": f"ACCOUNT#{self.account_id}", "sk": f"CONSENT#{self.at}#{self.event_id}"}

    def to_item(self) -> dict:
        return {**self.key(), "type": "consent_event", **asdict(self)}


@dataclass
class MailJob:
    """One email to send. Holds ids and template values, never a secret or an address
    that can be looked up at send time; link tokens are minted when the mail is sent."""

    job_id: str
    kind: str
    template: str
    created_at: str
    account_id: str | None = None
    topic: str | None = None
    context: dict = field(default_factory=dict)
    # Only for mail to an address that is not (or no longer) the account's own: the
    # confirmation of a new address, and the notice to the old one.
    to_address: str | None = None
    campaign_id: str | None = None
    status: str = "pending"
    attempts: int = 0

    @staticmethod
    def key(job_id: str) -> dict:
        return {"pk": f"MAIL#{job_id}", "sk": "JOB"}

    def to_item(self) -> dict:
        item = {**self.key(self.job_id), "type": "mail_job", **asdict(self)}
        if self.status == "pending":  # sparse index: only unsent jobs are in it
            item.update(gsi1pk=UNSENT_INDEX_KEY, gsi1sk=f"{self.created_at}#{self.job_id}")
        return {k: v for k, v in item.items() if v is not None}

    @classmethod
    def from_item(cls, item: dict) -> "MailJob":
        values = {k: item[k] for k in cls.__dataclass_fields__ if k in item}
        values["attempts"] = int(values.get("attempts", 0))
        return cls(**values)


@dataclass
class LoginToken:
    """A link token's hash; the token itself exists only in the mail that carries it."""

    token_hash: str
    account_id: str
    purpose: str
    expires_at: int

    @staticmethod
    def key(token_hash: str) -> dict:
        return {"pk": f"LOGIN#{token_hash}", "sk": "TOKEN"}

    def to_item(self) -> dict:
        return {**self.key(self.token_hash), "type": "login_token", **asdict(self)}

    @classmethod
    def from_item(cls, item: dict) -> "LoginToken":
        return cls(**{k: item[k] for k in cls.__dataclass_fields__} | {"expires_at": int(item["expires_at"])})


def suppression_key(email_hash: str) -> dict:
    return {"pk": f"SUPPRESS#{email_hash}", "sk": "SUPPRESS"}


def soft_bounce_key(email_hash: str) -> dict:
    return {"pk": f"SUPPRESS#{email_hash}", "sk": "SOFT_BOUNCES"}


def link_mail_counter_key(email_hash: str, hour: int) -> dict:
    return {"pk": f"LINKMAIL#{email_hash}", "sk": f"HOUR#{hour}"}


def forgotten_friend_key(email_hash: str) -> dict:
    return {"pk": f"FRIEND#{email_hash}", "sk": "FORGOTTEN"}


@dataclass
class ContactQuestion:
    question_id: str
    email: str
    message: str
    created_at: str
    expires_at: int

    @staticmethod
    def key(question_id: str) -> dict:
        return {"pk": f"CONTACT#{question_id}", "sk": "QUESTION"}

    def to_item(self) -> dict:
        return {
            **self.key(self.question_id),
            "type": "contact_question",
            **asdict(self),
            "gsi1pk": OPEN_QUESTIONS_INDEX_KEY,
            "gsi1sk": f"{self.created_at}#{self.question_id}",
        }

    @classmethod
    def from_item(cls, item: dict) -> "ContactQuestion":
        return cls(**{k: item[k] for k in cls.__dataclass_fields__} | {"expires_at": int(item["expires_at"])})


@dataclass
class Session:
    """A signed-in browser. The cookie holds the token; only its hash is stored."""

    token_hash: str
    account_id: str
    created_at: str
    expires_at: int

    @staticmethod
    def key(token_hash: str) -> dict:
        return {"pk": f"SESSION#{token_hash}", "sk": "SESSION"}

    def to_item(self) -> dict:
        return {
            **self.key(self.token_hash),
            "type": "session",
            **asdict(self),
            "gsi1pk": f"SESSIONS#{self.account_id}",
            "gsi1sk": self.created_at,
        }

    @classmethod
    def from_item(cls, item: dict) -> "Session":
        return cls(**{k: item[k] for k in cls.__dataclass_fields__} | {"expires_at": int(item["expires_at"])})


@dataclass
class EmailChange:
    """An address change waiting for its confirmation link to be used."""

    account_id: str
    new_email: str
    new_email_hash: str
    expires_at: int

    @staticmethod
    def key(account_id: str) -> dict:
        return {"pk": f"ACCOUNT#{account_id}", "sk": "EMAIL_CHANGE"}

    def to_item(self) -> dict:
        return {**self.key(self.account_id), "type": "email_change", **asdict(self)}

    @classmethod
    def from_item(cls, item: dict) -> "EmailChange":
        return cls(**{k: item[k] for k in cls.__dataclass_fields__} | {"expires_at": int(item["expires_at"])})


@dataclass
class Pin:
    """One calling card in stock: the PIN is KMS-encrypted, and never logged or shown but to
    its owner. Available PINs carry the sparse stock index keys."""

    sku: str
    pin_id: str
    encrypted_pin: str  # base64 of the KMS ciphertext
    dialing_instructions: str
    imported_at: str
    status: str = "available"
    order_id: str | None = None

    @staticmethod
    def key(sku: str, pin_id: str) -> dict:
        return {"pk": f"PINS#{sku}", "sk": f"PIN#{pin_id}"}

    def to_item(self) -> dict:
        item = {**self.key(self.sku, self.pin_id), "type": "pin", **asdict(self)}
        if self.status == "available":
            item.update(gsi1pk=f"STOCK#{self.sku}", gsi1sk=f"{self.imported_at}#{self.pin_id}")
        return {k: v for k, v in item.items() if v is not None}

    @classmethod
    def from_item(cls, item: dict) -> "Pin":
        return cls(**{k: item[k] for k in cls.__dataclass_fields__ if k in item})


@dataclass
class Order:
    order_id: str
    account_id: str
    lines: list[dict]  # [{sku, quantity, unit_price_cents}]
    amount_cents: int
    currency: str
    description: str
    status: str
    created_at: str
    session_id: str | None = None
    pin_ids: list[str] = field(default_factory=list)
    paid_at: str | None = None
    note: str | None = None

    @staticmethod
    def key(order_id: str) -> dict:
        return {"pk": f"ORDER#{order_id}", "sk": "ORDER"}

    def to_item(self) -> dict:
        item = {
            **self.key(self.order_id), "type": "order", **asdict(self),
            "gsi1pk": f"ORDERS#{self.account_id}", "gsi1sk": f"{self.created_at}#{self.order_id}",
        }
        return {k: v for k, v in item.items() if v is not None}

    @classmethod
    def from_item(cls, item: dict) -> "Order":
        return cls(**{k: item[k] for k in cls.__dataclass_fields__ if k in item})


def checkout_session_key(session_id: str) -> dict:
    """Which order a processor checkout session pays for (the callbacks name the session)."""
    return {"pk": f"CHECKOUT#{session_id}", "sk": "SESSION"}


def idempotency_key(account_id: str, key_hash: str) -> dict:
    return {"pk": f"IDEMPOTENCY#{account_id}#{key_hash}", "sk": "CHECKOUT"}


def awaiting_stock_key(sku: str, order_id: str) -> dict:
    return {"pk": f"AWAITING#{sku}", "sk": f"ORDER#{order_id}"}


def cart_key(cart_id: str) -> dict:
    return {"pk": f"CART#{cart_id}", "sk": "CART"}


def sandbox_session_key(session_id: str) -> dict:
    """The local stage's sandbox processor keeps its checkout sessions here (its own side)."""
    return {"pk": f"SANDBOX#{session_id}", "sk": "SESSION"}
