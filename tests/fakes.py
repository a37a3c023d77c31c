"""In-memory adapters of the Protocols in `shared.ports`, for unit tests.

`MemoryTable` implements `shared.store.table.Table` with DynamoDB's semantics as far as the
repositories use them; tests/contract runs one repository suite against it and against
the emulated DynamoDB table, so whatever this table decides is what DynamoDB decides.
Where DynamoDB answers with a ValidationException (a request it refuses outright), this
table raises ValueError; where boto3 refuses a value before sending it, the same TypeError.

`fake_ports()` composes a complete `Ports` from these fakes and the real repositories.
"""
from __future__ import annotations

import base64
import copy
import dataclasses
import hashlib
import hmac
import json
from decimal import Decimal
from typing import Any, Mapping


from shared.clock import FixedClock
from shared.mail.ses import OutgoingMail
from shared.ports import Clock, Ports
from shared.processor import CheckoutRequest, HostedCheckout, verify_callback
from shared.settings import Secret, Settings
from shared.store.expressions import Changes, Condition, Item, Placeholders
from shared.store.table import (
    INDEXES,
    MAX_BATCH_GET,
    MAX_BATCH_WRITE,
    MAX_TRANSACTION_ITEMS,
    ConditionFailed,
    Delete,
    Key,
    Operation,
    Page,
    Put,
    Transaction,
    TransactionConflict,
    Update,
    key_fits,
    plain,
)

KEY_ATTRIBUTES = ("pk", "sk")
MAX_ITEM_BYTES = 400 * 1024
PAGE_BYTES = 1024 * 1024  # a query page stops before it would pass 1 MB, as DynamoDB's does

StoredKey = tuple[str, str]


# -- values as DynamoDB stores them ---------------------------------------------------------
def _stored_value(value: Any) -> Any:
    """The value as it comes back from DynamoDB through `DynamoTable` (`plain`): tuples
    and sets become lists, Decimals ints or floats; floats are refused as boto3 refuses them."""
    if value is None or isinstance(value, (bool, str, int, bytes)):
        return value
    if isinstance(value, float):
        raise TypeError("Float types are not supported. Use Decimal types instead.")
    if isinstance(value, Decimal):
        return plain(value)
    if isinstance(value, Mapping):
        if not all(isinstance(k, str) for k in value):
            raise TypeError("map keys must be strings")
        return {k: _stored_value(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_stored_value(v) for v in value]
    if isinstance(value, (set, frozenset)):
        if not value:
            raise ValueError("One or more parameter values were invalid: An number set may not be empty")
        return sorted(_stored_value(v) for v in value)
    raise TypeError(f"Unsupported type {type(value)!r} for value {value!r}")


def _stored_item(item: Item) -> Item:
    """DynamoTable drops top-level attributes whose value is None before it writes."""
    return {name: _stored_value(value) for name, value in item.items() if value is not None}


def _value_size(value: Any) -> int:
    """DynamoDB's item size rules (approximately, for numbers)."""
    if value is None or isinstance(value, bool):
        return 1
    if isinstance(value, str):
        return len(value.encode())
    if isinstance(value, bytes):
        return len(value)
    if isinstance(value, (int, float)):
        digits = len(str(abs(value)).replace(".", "").strip("0")) or 1
        return (digits + 1) // 2 + 1
    if isinstance(value, dict):
        return 3 + sum(len(k.encode()) + _value_size(v) + 1 for k, v in value.items())
    if isinstance(value, list):
        return 3 + sum(_value_size(v) + 1 for v in value)
    raise TypeError(f"Unsupported type {type(value)!r}")


def item_size(item: Item) -> int:
    return sum(len(name.encode()) + _value_size(value) for name, value in item.items())


def _check_bound_values(*parts: Condition | Changes | None) -> None:
    """What `DynamoTable` would bind as expression values: None is dropped there (so the
    request names a value it does not send) and floats are refused by boto3."""
    slots = Placeholders()
    for part in parts:
        if part is not None:
            part.render(slots)
    for value in slots.values.values():
        if value is None:
            raise ValueError("An expression attribute value used in expression is not defined")
        _stored_value(value)


class MemoryTable:
    """`shared.store.table.Table` in memory, deciding what DynamoDB decides.

    Items are kept by (pk, sk) as deep copies; every read returns a deep copy. Writes
    evaluate their condition with `Condition.holds` on the item they meet and raise
    `ConditionFailed` exactly as `DynamoTable` does. A transaction evaluates every condition
    before it writes anything. Queries sort base-table partitions by sk and the `gsi1`
    index by (gsi1sk, pk, sk). A page that reached its `limit` carries `next` even when
    nothing follows (DynamoDB cannot tell either); `max_page_items` makes pages smaller, as
    DynamoDB's 1 MB page limit does with real data, to exercise callers' pagination.
    `get_many` answers in no particular order (here: reversed), as BatchGetItem does.
    """

    def __init__(self, *, max_page_items: int | None = None) -> None:
        self._items: dict[StoredKey, Item] = {}
        self.max_page_items = max_page_items
        self._conflicts_to_inject = 0
        self.commits = 0  # transactions committed, for tests that count round trips
        self._calls: list[str] | None = None

    # -- the calls made, as DynamoDB would see them ------------------------------------------
    def start_recording(self) -> None:
        """From now on, remember each call by its DynamoDB operation (a transaction with its
        operations' count), for tests that compare what two requests cost."""
        self._calls = []

    def recorded(self) -> list[str]:
        return list(self._calls or [])

    def _record(self, operation: str) -> None:
        if self._calls is not None:
            self._calls.append(operation)

    # -- test controls --------------------------------------------------------------------
    def inject_conflicts(self, count: int = 1) -> None:
        """The next `count` commits meet a concurrent write: TransactionConflict, nothing written."""
        self._conflicts_to_inject = count

    def all_items(self) -> list[Item]:
        """Every item held, for tests that look for what must no longer be anywhere."""
        return [copy.deepcopy(item) for item in self._items.values()]

    def item_count(self) -> int:
        """How many items the table holds. (No __len__: an empty table must stay truthy,
        since `build_ports` chooses its table with `table or DynamoTable(...)`.)"""
        return len(self._items)

    # -- reads ----------------------------------------------------------------------------
    def get(self, key: Key, consistent: bool = True) -> Item | None:
        self._record("GetItem")
        if not key_fits(key):
            return None
        item = self._items.get(self._stored_key(key))
        return copy.deepcopy(item)

    def get_many(self, keys: list[Key]) -> list[Item]:
        self._record("BatchGetItem")
        stored = list(dict.fromkeys(self._stored_key(k) for k in keys if key_fits(k)))  # each key once
        found: list[Item] = []
        for begin in range(0, len(stored), MAX_BATCH_GET):
            chunk = stored[begin:begin + MAX_BATCH_GET]
            found += [copy.deepcopy(self._items[k]) for k in chunk if k in self._items]
        found.reverse()  # BatchGetItem promises no order: no caller may rely on request order
        return found

    def query(self, partition: str, *, prefix: str | None = None, lower: str | None = None,
              upper: str | None = None, index: str | None = None, limit: int | None = None,
              start: Key | None = None) -> Page:
        self._record("Query")
        projection = "ALL"
        if index is None:
            hash_name, range_name = KEY_ATTRIBUTES
            key_names: tuple[str, ...] = KEY_ATTRIBUTES
        elif index in INDEXES:
            hash_name, range_name, projection = INDEXES[index]
            key_names = (hash_name, range_name, *KEY_ATTRIBUTES)
        else:
            raise ValueError(f"The table does not have the specified index: {index}")
        if "" in (prefix, lower, upper):  # DynamoDB refuses an empty key value in a key condition
            raise ValueError("The AttributeValue for a key attribute cannot contain an empty string value")
        if limit is not None and limit < 0:
            raise ValueError("Limit must be at least 1")

        def position(item: Mapping[str, Any]) -> tuple[str, ...]:
            return (item[range_name], item["pk"], item["sk"]) if index else (item["sk"],)

        rows = [i for i in self._items.values()
                if i.get(hash_name) == partition and range_name in i
                and (prefix is None or i[range_name].startswith(prefix))
                and (prefix is not None or lower is None or i[range_name] >= lower)
                and (prefix is not None or upper is None or i[range_name] <= upper)]
        if projection == "KEYS_ONLY":
            rows = [{n: r[n] for n in key_names} for r in rows]
        rows.sort(key=position)
        if start:
            missing = [n for n in key_names if n not in start]
            if missing:
                raise ValueError(f"The provided starting key is invalid: it lacks {missing}")
            after = position(start)
            rows = [r for r in rows if position(r) > after]

        page: list[Item] = []
        size = 0
        full = False
        for row in rows:
            if (limit and len(page) == limit) or (self.max_page_items and len(page) == self.max_page_items) \
                    or size + item_size(row) > PAGE_BYTES:
                full = True
                break
            page.append(row)
            size += item_size(row)
        else:
            full = bool(page) and bool(limit) and len(page) == limit
        following = {n: page[-1][n] for n in key_names} if full and page else None
        return Page(copy.deepcopy(page), following)

    # -- single writes --------------------------------------------------------------------
    def put(self, op: Put) -> None:
        self._record("PutItem")
        self._check_key(op.key)
        item = self._checked_item(op.item)
        _check_bound_values(op.condition)
        stored_key = self._stored_key(op.key)
        self._require(op, self._items.get(stored_key))
        self._items[stored_key] = item

    def update(self, op: Update) -> Item:
        self._record("UpdateItem")
        """Returns the item as it is after the update; an absent item is created."""
        self._check_key(op.key)
        self._check_changes(op.changes)
        _check_bound_values(op.condition, op.changes)
        stored_key = self._stored_key(op.key)
        current = self._items.get(stored_key)
        self._require(op, current)
        updated = self._updated(op, current)
        self._items[stored_key] = updated
        return copy.deepcopy(updated)

    def delete(self, op: Delete) -> Item | None:
        self._record("DeleteItem")
        """Returns the item that was deleted, if there was one."""
        self._check_key(op.key)
        _check_bound_values(op.condition)
        stored_key = self._stored_key(op.key)
        self._require(op, self._items.get(stored_key))
        return self._items.pop(stored_key, None)  # nobody else holds this copy

    def put_many(self, items: list[Item]) -> None:
        self._record("BatchWriteItem")
        for begin in range(0, len(items), MAX_BATCH_WRITE):
            chunk = items[begin:begin + MAX_BATCH_WRITE]
            for item in chunk:
                self._check_key({"pk": item["pk"], "sk": item["sk"]})
            keys = [(i["pk"], i["sk"]) for i in chunk]
            if len(set(keys)) != len(keys):
                raise ValueError("Provided list of item keys contains duplicates")
            prepared = [self._checked_item(i) for i in chunk]
            for stored_key, item in zip(keys, prepared):
                self._items[stored_key] = item

    # -- transactions ---------------------------------------------------------------------
    def commit(self, transaction: Transaction) -> None:
        operations = list(transaction.operations)
        self._record(f"TransactWriteItems({len(operations)})")
        if not operations:
            raise ValueError("Invalid length for parameter TransactItems, value: 0, valid min length: 1")
        if len(operations) > MAX_TRANSACTION_ITEMS:
            raise ValueError(f"a transaction takes at most {MAX_TRANSACTION_ITEMS} operations")
        keys = []
        for op in operations:
            self._check_key(op.key)
            keys.append(self._stored_key(op.key))
        if len(set(keys)) != len(keys):
            raise ValueError("Transaction request cannot include multiple operations on one item")
        for op in operations:  # what DynamoDB refuses before it looks at any item
            if isinstance(op, Put):
                self._checked_item(op.item)
                _check_bound_values(op.condition)
            elif isinstance(op, Update):
                self._check_changes(op.changes)
                _check_bound_values(op.condition, op.changes)
            else:
                _check_bound_values(op.condition)
        if self._conflicts_to_inject:
            self._conflicts_to_inject -= 1
            raise TransactionConflict("the transaction met a concurrent write")

        failed = [(op, self._items.get(k)) for op, k in zip(operations, keys)
                  if op.condition is not None and not op.condition.holds(copy.deepcopy(self._items.get(k)))]
        if failed:
            tags = frozenset(op.tag or "condition" for op, _ in failed)
            old = {op.tag or "condition": self._decoded(op, current) for op, current in failed}
            raise ConditionFailed(tags, old)

        staged: dict[StoredKey, Item | None] = {}
        for op, stored_key in zip(operations, keys):
            if isinstance(op, Put):
                staged[stored_key] = self._checked_item(op.item)
            elif isinstance(op, Update):
                staged[stored_key] = self._updated(op, self._items.get(stored_key))
            elif isinstance(op, Delete):
                staged[stored_key] = None
        for stored_key, item in staged.items():
            if item is None:
                self._items.pop(stored_key, None)
            else:
                self._items[stored_key] = item
        self.commits += 1

    # -- plumbing -------------------------------------------------------------------------
    @staticmethod
    def _stored_key(key: Key) -> StoredKey:
        if set(key) != set(KEY_ATTRIBUTES):
            raise ValueError("The provided key element does not match the schema")
        pk, sk = key["pk"], key["sk"]
        if not isinstance(pk, str) or not isinstance(sk, str):
            raise ValueError("The provided key element does not match the schema")
        if not pk or not sk:
            raise ValueError("One or more parameter values are not valid. A key attribute may not be an empty string")
        return pk, sk

    @classmethod
    def _check_key(cls, key: Key) -> None:
        if not key_fits(key):
            raise ValueError("key over DynamoDB's size limit")
        cls._stored_key(key)

    @staticmethod
    def _checked_item(item: Item) -> Item:
        """A deep, normalized copy of an item DynamoDB would accept, else ValueError."""
        stored = _stored_item(item)
        for hash_name, range_name, _ in INDEXES.values():
            for name in (hash_name, range_name):
                if name in stored and (not isinstance(stored[name], str) or not stored[name]):
                    raise ValueError("A value specified for a secondary index key is not supported")
        if item_size(stored) > MAX_ITEM_BYTES:
            raise ValueError("Item size has exceeded the maximum allowed size")
        return stored

    @staticmethod
    def _check_changes(changes: Changes) -> None:
        touched = [*changes.set, *changes.remove, *changes.add]
        for path in touched:
            if path.split(".")[0] in KEY_ATTRIBUTES:
                raise ValueError(f"Cannot update attribute {path}. This attribute is part of the key")

    def _updated(self, op: Update, current: Item | None) -> Item:
        """`Changes.apply`, refusing what DynamoDB refuses: a path through a missing map, ADD
        to a value that is not a number."""
        base = copy.deepcopy(current) if current is not None else dict(op.key)
        for path in op.changes.add:
            if path in base and (isinstance(base[path], bool) or not isinstance(base[path], (int, float))):
                raise ValueError("An operand in the update expression has an incorrect data type")
        try:
            updated = op.changes.apply(base)
        except (KeyError, TypeError):
            raise ValueError("The document path provided in the update expression is invalid for update") from None
        return self._checked_item(updated)

    def _require(self, op: Operation, current: Item | None) -> None:
        if op.condition is not None and not op.condition.holds(copy.deepcopy(current)):
            tag = op.tag or "condition"
            raise ConditionFailed(frozenset({tag}), {tag: self._decoded(op, current)})

    @staticmethod
    def _decoded(op: Operation, current: Item | None) -> Any:
        return op.decode(copy.deepcopy(current)) if op.decode and current else None


# -- other adapters -------------------------------------------------------------------------
class MailerFailure(Exception):
    """What a RecordingMailer raises when told to fail (as SES's client errors would)."""


class RecordingMailer:
    """`Mailer`: keeps every mail it was given; `fail_next` makes the next sends raise."""

    def __init__(self) -> None:
        self.sent: list[OutgoingMail] = []
        self._failures: list[Exception] = []

    def fail_next(self, times: int = 1, error: Exception | None = None) -> None:
        self._failures += [error or MailerFailure("injected mail failure") for _ in range(times)]

    def send(self, mail: OutgoingMail) -> str:
        if self._failures:
            raise self._failures.pop(0)
        self.sent.append(copy.deepcopy(mail))
        return f"fake-message-{len(self.sent)}"

    def to(self, address: str) -> list[OutgoingMail]:
        return [m for m in self.sent if m.to.lower() == address.lower()]


class ProcessorFailure(Exception):
    """What a FakeProcessor raises when told to fail (the processor did not answer)."""


class FakeProcessor:
    """`CardProcessor`: records each checkout request; the session id derives from the
    idempotency key, so the same key gives the same session (as the real processor's
    idempotency does). Callbacks are verified with the real Stripe-format code."""

    def __init__(self, webhook_secret: str, name: str = "Fake Card Processor") -> None:
        self.name = name
        self.webhook_secret = webhook_secret
        self.checkouts: list[tuple[CheckoutRequest, str]] = []
        self.statuses: dict[str, str] = {}  # session id: open, complete or expired
        self.refunds: dict[str, tuple[str, int]] = {}  # idempotency key: (session id, amount)
        self._failures: list[Exception] = []

    def fail_next(self, times: int = 1, error: Exception | None = None) -> None:
        self._failures += [error or ProcessorFailure("injected processor failure") for _ in range(times)]

    @staticmethod
    def session_id_for(idempotency_key: str) -> str:
        return "cs_fake_" + hashlib.sha256(idempotency_key.encode()).hexdigest()[:24]

    def create_checkout(self, request: CheckoutRequest, idempotency_key: str) -> HostedCheckout:
        if self._failures:
            raise self._failures.pop(0)
        self.checkouts.append((request, idempotency_key))
        session_id = self.session_id_for(idempotency_key)
        self.statuses.setdefault(session_id, "open")
        return HostedCheckout(session_id=session_id, url=f"https://processor.test/pay/{session_id}")

    def expire_checkout(self, session_id: str) -> bool:
        """Like the real processor: only an open session expires; a complete one stays paid."""
        if self.statuses.get(session_id, "open") == "open":
            self.statuses[session_id] = "expired"
        return self.statuses[session_id] == "expired"

    def refund(self, session_id: str, amount_cents: int, idempotency_key: str) -> str:
        if self._failures:
            raise self._failures.pop(0)
        self.refunds.setdefault(idempotency_key, (session_id, amount_cents))
        return "re_fake_" + hashlib.sha256(idempotency_key.encode()).hexdigest()[:24]

    def verify_callback(self, payload: bytes, signature_header: str | None, now: float) -> dict[str, Any]:
        return verify_callback(payload, signature_header, self.webhook_secret, now=now)

    def signature_header(self, payload: bytes, at: float) -> str:
        """A valid Stripe-format signature header for `payload` sent at `at`."""
        timestamp = int(at)
        digest = hmac.new(self.webhook_secret.encode(), f"{timestamp}.".encode() + payload, hashlib.sha256)
        return f"t={timestamp},v1={digest.hexdigest()}"


class PinRefused(Exception):
    """A ciphertext that is not this vault's, or bound to another SKU or PIN id (as KMS
    refuses a ciphertext whose encryption context differs)."""


class FakePinVault:
    """`PinVault`: reversible, and bound to SKU and PIN id like KMS's encryption context."""

    PREFIX = "enc:"

    def encrypt(self, plain: str, sku: str, pin_id: str) -> str:
        sealed = json.dumps({"sku": sku, "pin_id": pin_id, "pin": plain}, sort_keys=True).encode()
        return self.PREFIX + base64.b64encode(sealed).decode()

    def decrypt(self, cipher: str, sku: str, pin_id: str) -> str:
        if not cipher.startswith(self.PREFIX):
            raise PinRefused("not a ciphertext of this vault")
        try:
            sealed = json.loads(base64.b64decode(cipher[len(self.PREFIX):], validate=True))
        except ValueError:
            raise PinRefused("not a ciphertext of this vault") from None
        if not isinstance(sealed, dict) or sealed.get("sku") != sku or sealed.get("pin_id") != pin_id:
            raise PinRefused("the ciphertext is bound to another SKU or PIN id")
        return str(sealed["pin"])

    def mac(self, sku: str, pin: str) -> str:
        """A keyed MAC, as KMS's GenerateMac computes one (the key stays in the fake)."""
        return hmac.new(b"fake-mac-key", f"{sku}\n{pin}".encode(), hashlib.sha256).hexdigest()


class RecordingDeadLetters:
    """`DeadLetters`: remembers which jobs were reported."""

    def __init__(self) -> None:
        self.reported: list[str] = []

    def report(self, job_id: str) -> None:
        self.reported.append(job_id)


# -- composition ----------------------------------------------------------------------------
FAKE_WEBHOOK_SECRET = "whsec_unit_test_only"


def fake_settings() -> Settings:
    """Real settings with explicit values for every field: nothing comes from the
    environment (only Settings.from_environment reads it), and a new required setting
    fails here by name rather than with a bare TypeError."""
    explicit: dict[str, Any] = {
        "stage": "test",
        "table_name": "fake",
        "configuration_set": "cs",
        "mail_dead_letter_queue": "dlq",
        "base_url": "http://store.test",
        "sender_address": "store@example.com",
        "postal_address": "1 Test Street",
        "secrets_source": "environment",
        "ssm_parameter_path": None,
        "token_signing_keys": Secret("unit-test-token-key"),
        "email_hash_key": Secret("unit-test-hash-key"),
        "processor_webhook_secret": Secret(FAKE_WEBHOOK_SECRET),
        "processor_api_key_secret": None,
        "pin_key_alias": "alias/test",
        "pin_mac_key_alias": "alias/test-mac",
        "processor": "sandbox",
    }
    for field in dataclasses.fields(Settings):
        if field.name not in explicit:
            if field.default is dataclasses.MISSING:
                raise RuntimeError(f"fake_settings() needs a value for the new setting {field.name!r}")
            explicit[field.name] = field.default
    return Settings(**explicit)


def fake_ports(clock: Clock | None = None, *, table: MemoryTable | None = None,
               mailer: RecordingMailer | None = None, processor: FakeProcessor | None = None,
               pin_vault: FakePinVault | None = None, dead_letters: RecordingDeadLetters | None = None) -> Ports:
    """A complete `Ports`: the real repositories over a MemoryTable, and the fakes above.
    Pass an adapter to keep a typed handle on it (`mailer.sent`, `processor.checkouts`...)."""
    settings = fake_settings()
    return Ports(
        settings,
        table if table is not None else MemoryTable(),
        clock or FixedClock(1_800_000_000),
        mailer=mailer or RecordingMailer(),
        processor=processor or FakeProcessor(settings.webhook_secret()),
        pin_vault=pin_vault or FakePinVault(),
        dead_letters=dead_letters or RecordingDeadLetters(),
    )
