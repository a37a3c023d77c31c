"""The table helper: typed writes, reads, paginated queries and transactions over the one
DynamoDB table. Repositories hold one; they build the operations, this runs them.

ClientError codes end here: callers see ConditionFailed, TransactionConflict or plain
results. No method scans.
"""
from __future__ import annotations

import dataclasses
import random
import time
from dataclasses import dataclass, field
from decimal import Decimal
from typing import TYPE_CHECKING, Any, Callable, Iterator, Protocol, Self, Union

from shared.store.expressions import Changes, Condition, Item, Placeholders

if TYPE_CHECKING:
    from types_boto3_dynamodb import DynamoDBClient

Key = dict[str, str]
Decode = Callable[[Item], Any]

# DynamoDB's limits for key attributes (bytes, UTF-8): an item with a longer key cannot
# exist, so a read of one finds nothing and a write of one is a bug.
MAX_PARTITION_KEY_BYTES = 2048
MAX_SORT_KEY_BYTES = 1024
MAX_TRANSACTION_ITEMS = 100

# The table's secondary indexes: their key attributes and what they project. `gsi1` serves
# most second access paths; `mail` holds only the keys of unsent and failed mail jobs, so
# the outbox's hot writes stay small (infra/stateful.yaml defines both).
INDEXES: dict[str, tuple[str, str, str]] = {
    "gsi1": ("gsi1pk", "gsi1sk", "ALL"),
    "mail": ("mailpk", "mailsk", "KEYS_ONLY"),
}
MAX_BATCH_GET = 100
MAX_BATCH_WRITE = 25


class StoreError(Exception):
    """Base of what a repository raises; never carries personal data in its message."""


class ConditionFailed(StoreError):
    """A conditional write (or one of a transaction's) found its condition false; nothing
    was written. `tags` names the failed operations; `old[tag]` is what the op's `decode`
    made of the item it met (None where there was no item)."""

    def __init__(self, tags: frozenset[str], old: dict[str, Any]) -> None:
        super().__init__(f"condition failed: {sorted(tags)}")
        self.tags = tags
        self.old = old


class TransactionConflict(StoreError):
    """Another request changed one of the items at the same moment; nothing was written."""


class ItemNotFound(StoreError):
    """The item an operation needs does not exist."""


@dataclass(frozen=True)
class Put:
    item: Item
    condition: Condition | None = None
    tag: str | None = None
    decode: Decode | None = None  # what to report of the old item when the condition fails

    @property
    def key(self) -> Key:
        return {"pk": self.item["pk"], "sk": self.item["sk"]}


@dataclass(frozen=True)
class Update:
    key: Key
    changes: Changes
    condition: Condition | None = None
    tag: str | None = None
    decode: Decode | None = None


@dataclass(frozen=True)
class Delete:
    key: Key
    condition: Condition | None = None
    tag: str | None = None
    decode: Decode | None = None


@dataclass(frozen=True)
class Check:
    key: Key
    condition: Condition
    tag: str | None = None
    decode: Decode | None = None


Operation = Union[Put, Update, Delete, Check]


@dataclass
class Transaction:
    """Writes that land together or not at all. A use case asks each repository to add its
    operations, then commits through `Table.commit`; the use case decides what is atomic."""

    operations: list[Operation] = field(default_factory=list)

    def add(self, *operations: Operation) -> Transaction:
        self.operations.extend(operations)
        if len(self.operations) > MAX_TRANSACTION_ITEMS:
            raise ValueError(f"a transaction takes at most {MAX_TRANSACTION_ITEMS} operations")
        return self


@dataclass(frozen=True)
class Page:
    items: list[Item]
    next: Key | None  # where the next page starts; None on the last page


class Table(Protocol):
    """What repositories need of a table. `DynamoTable` is the real one; the unit tests'
    in-memory table implements the same Protocol."""

    def get(self, key: Key, consistent: bool = True) -> Item | None: ...

    def get_many(self, keys: list[Key]) -> list[Item]: ...

    def put(self, op: Put) -> None: ...

    def put_many(self, items: list[Item]) -> None: ...

    def update(self, op: Update) -> Item: ...

    def delete(self, op: Delete) -> Item | None: ...

    def query(self, partition: str, *, prefix: str | None = None, lower: str | None = None,
              upper: str | None = None, index: str | None = None, limit: int | None = None,
              start: Key | None = None) -> Page: ...

    def commit(self, transaction: Transaction) -> None: ...


def key_fits(key: Key) -> bool:
    pk, sk = key.get("pk", key.get("gsi1pk", "")), key.get("sk", key.get("gsi1sk", ""))
    return len(pk.encode()) <= MAX_PARTITION_KEY_BYTES and len(sk.encode()) <= MAX_SORT_KEY_BYTES


def query_all(table: Table, partition: str, **options: Any) -> Iterator[Item]:
    """Every item of a partition (or index partition), page after page."""
    start = None
    while True:
        page = table.query(partition, start=start, **options)
        yield from page.items
        if page.next is None:
            return
        start = page.next


class Entity:
    """A dataclass stored as one item. It is read back by field name: keys, index attributes
    and fields the item lacks (written before the field existed) are left out."""

    @classmethod
    def from_item(cls, item: Item) -> Self:
        names = {f.name for f in dataclasses.fields(cls)}  # type: ignore[arg-type]
        return cls(**{k: v for k, v in item.items() if k in names})


def in_force(item: Item, now: float) -> bool:
    """An item with `expires_at` counts only until then: DynamoDB's TTL deletes it up to two
    days late, and the local emulator never does."""
    return "expires_at" not in item or item["expires_at"] > now


def plain(value: Any) -> Any:
    """DynamoDB numbers come back as Decimal; the code works with int and float."""
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    if isinstance(value, dict):
        return {k: plain(v) for k, v in value.items()}
    if isinstance(value, (list, set)):
        return [plain(v) for v in value]
    return value


# A transaction cancelled by a concurrent write runs up to this many times: a double-submitted
# form then meets the first submit's write as a failed condition, which its use case answers.
TRANSACTION_ATTEMPTS = 3
RETRIED_CANCELLATIONS = {"TransactionConflict", "ThrottlingError", "ProvisionedThroughputExceeded"}


def _backoff(attempt: int) -> None:
    time.sleep(random.uniform(0, 0.05 * 2**attempt))


class DynamoTable:
    """The one table, through a low-level DynamoDB client created on first use."""

    def __init__(self, name: str, client: DynamoDBClient | None = None) -> None:
        self.name = name
        self._client = client
        self._codec: tuple[Any, Any] | None = None

    # -- plumbing -----------------------------------------------------------------------
    @property
    def _db(self) -> DynamoDBClient:
        if self._client is None:
            from shared import aws

            self._client = aws.client("dynamodb")
        return self._client

    def _to_av(self, item: Item) -> dict[str, Any]:
        serializer = self._serde()[0]
        return {k: serializer.serialize(v) for k, v in item.items() if v is not None}

    def _from_av(self, item: dict[str, Any]) -> Item:
        deserializer = self._serde()[1]
        return {k: plain(deserializer.deserialize(v)) for k, v in item.items()}

    def _serde(self) -> tuple[Any, Any]:
        if self._codec is None:
            from boto3.dynamodb.types import TypeDeserializer, TypeSerializer

            self._codec = (TypeSerializer(), TypeDeserializer())
        return self._codec

    def _expressions(self, condition: Condition | None, changes: Changes | None = None) -> dict[str, Any]:
        slots = Placeholders()
        params: dict[str, Any] = {}
        if changes is not None:
            params["UpdateExpression"] = changes.render(slots)
        if condition is not None:
            params["ConditionExpression"] = condition.render(slots)
        if slots.names:
            params["ExpressionAttributeNames"] = slots.names
        if slots.values:
            params["ExpressionAttributeValues"] = self._to_av(slots.values)
        return params

    def _request(self, op: Operation) -> tuple[str, dict[str, Any]]:
        if isinstance(op, Put):
            return "Put", {"Item": self._to_av(op.item), **self._expressions(op.condition)}
        if isinstance(op, Update):
            return "Update", {"Key": self._to_av(op.key), **self._expressions(op.condition, op.changes)}
        if isinstance(op, Delete):
            return "Delete", {"Key": self._to_av(op.key), **self._expressions(op.condition)}
        return "ConditionCheck", {"Key": self._to_av(op.key), **self._expressions(op.condition)}

    def _failed(self, op: Operation, old: dict[str, Any] | None) -> ConditionFailed:
        tag = op.tag or "condition"
        decoded = self._from_av(old) if old else None
        return ConditionFailed(frozenset({tag}), {tag: op.decode(decoded) if op.decode and decoded else None})

    # -- reads --------------------------------------------------------------------------
    def get(self, key: Key, consistent: bool = True) -> Item | None:
        if not key_fits(key):
            return None
        found = self._db.get_item(TableName=self.name, Key=self._to_av(key), ConsistentRead=consistent)
        return self._from_av(found["Item"]) if "Item" in found else None

    def get_many(self, keys: list[Key]) -> list[Item]:
        """Any number of items, 100 a request; what DynamoDB leaves unprocessed is asked again."""
        unique = {tuple(sorted(k.items())): k for k in keys if key_fits(k)}  # BatchGetItem refuses repeats
        keys = list(unique.values())
        found: list[Item] = []
        for begin in range(0, len(keys), MAX_BATCH_GET):
            pending: Any = {self.name: {"Keys": [self._to_av(k) for k in keys[begin:begin + MAX_BATCH_GET]],
                                        "ConsistentRead": True}}
            for attempt in range(8):
                answer = self._db.batch_get_item(RequestItems=pending)
                found += [self._from_av(i) for i in answer["Responses"].get(self.name, [])]
                pending = answer.get("UnprocessedKeys") or {}
                if not pending:
                    break
                _backoff(attempt)
            if pending:
                raise TransactionConflict("DynamoDB left keys unread after retries")
        return found

    def query(self, partition: str, *, prefix: str | None = None, lower: str | None = None,
              upper: str | None = None, index: str | None = None, limit: int | None = None,
              start: Key | None = None) -> Page:
        """One page of a partition, by sort key: those starting with `prefix`, or those from
        `lower` to `upper` (both included, either open)."""
        pk, sk = INDEXES[index][:2] if index else ("pk", "sk")
        values = {":p": {"S": partition}}
        condition = f"{pk} = :p"
        if prefix is not None:
            condition += f" AND begins_with({sk}, :s)"
            values[":s"] = {"S": prefix}
        elif lower is not None and upper is not None:
            condition += f" AND {sk} BETWEEN :l AND :u"
            values.update({":l": {"S": lower}, ":u": {"S": upper}})
        elif lower is not None:
            condition += f" AND {sk} >= :l"
            values[":l"] = {"S": lower}
        elif upper is not None:
            condition += f" AND {sk} <= :u"
            values[":u"] = {"S": upper}
        params: dict[str, Any] = {"TableName": self.name, "KeyConditionExpression": condition,
                                  "ExpressionAttributeValues": values}
        if index:
            params["IndexName"] = index
        if limit:
            params["Limit"] = limit
        if start:
            params["ExclusiveStartKey"] = self._to_av(start)
        answer = self._db.query(**params)
        following = answer.get("LastEvaluatedKey")
        return Page([self._from_av(i) for i in answer.get("Items", [])], self._from_av(following) if following else None)

    # -- writes -------------------------------------------------------------------------
    def put(self, op: Put) -> None:
        self._write(op, lambda **extra: self._db.put_item(TableName=self.name, **self._request(op)[1], **extra))

    def update(self, op: Update) -> Item:
        """Returns the item as it is after the update."""
        answer = self._write(op, lambda **extra: self._db.update_item(
            TableName=self.name, **self._request(op)[1], ReturnValues="ALL_NEW", **extra))
        return self._from_av(answer["Attributes"])

    def delete(self, op: Delete) -> Item | None:
        """Returns the item that was deleted, if there was one."""
        answer = self._write(op, lambda **extra: self._db.delete_item(
            TableName=self.name, **self._request(op)[1], ReturnValues="ALL_OLD", **extra))
        return self._from_av(answer["Attributes"]) if answer.get("Attributes") else None

    def _write(self, op: Operation, call: Callable[..., Any]) -> Any:
        if not key_fits(op.key):
            raise ValueError("key over DynamoDB's size limit")
        extra = {"ReturnValuesOnConditionCheckFailure": "ALL_OLD"} if op.condition is not None and op.decode else {}
        try:
            return call(**extra)
        except self._db.exceptions.ConditionalCheckFailedException as error:
            raise self._failed(op, getattr(error, "response", {}).get("Item")) from None

    def put_many(self, items: list[Item]) -> None:
        """Unconditional puts, 25 a request; what DynamoDB leaves unprocessed is written again."""
        for begin in range(0, len(items), MAX_BATCH_WRITE):
            pending: Any = [{"PutRequest": {"Item": self._to_av(i)}} for i in items[begin:begin + MAX_BATCH_WRITE]]
            for attempt in range(8):
                left = self._db.batch_write_item(RequestItems={self.name: pending}).get("UnprocessedItems", {})
                pending = left.get(self.name, [])
                if not pending:
                    break
                _backoff(attempt)
            if pending:
                raise TransactionConflict("DynamoDB left items unwritten after retries")

    def commit(self, transaction: Transaction) -> None:
        if not transaction.operations:
            raise ValueError("an empty transaction")
        keys = [tuple(sorted(op.key.items())) for op in transaction.operations]
        if len(set(keys)) != len(keys):
            raise ValueError("a transaction may change an item once")
        if not all(key_fits(op.key) for op in transaction.operations):
            raise ValueError("key over DynamoDB's size limit")
        requests: list[Any] = []
        for op in transaction.operations:
            kind, request = self._request(op)
            if op.condition is not None and op.decode:
                request["ReturnValuesOnConditionCheckFailure"] = "ALL_OLD"
            requests.append({kind: {"TableName": self.name, **request}})
        reasons = self._transact(requests)
        if reasons is None:
            return
        failed = [(op, r) for op, r in zip(transaction.operations, reasons) if r.get("Code") == "ConditionalCheckFailed"]
        if not failed:
            raise TransactionConflict("the transaction met a concurrent write")
        tags = frozenset(op.tag or "condition" for op, _ in failed)
        old = {}
        for op, reason in failed:
            old_item: Any = reason.get("Item")
            decoded = self._from_av(old_item) if old_item else None
            old[op.tag or "condition"] = op.decode(decoded) if op.decode and decoded else None
        raise ConditionFailed(tags, old)

    def _transact(self, requests: list[Any]) -> list[Any] | None:
        """Run the transaction: None once it is written, else the reasons of its last
        cancellation. Cancelled as a whole by a concurrent write (or throttled), nothing was
        written, so it runs again, its conditions judged afresh, as AWS advises; a failed
        condition is an answer, never retried."""
        reasons: list[Any] = []
        for attempt in range(TRANSACTION_ATTEMPTS):
            if attempt:
                _backoff(attempt - 1)
            try:
                self._db.transact_write_items(TransactItems=requests)
                return None
            except self._db.exceptions.TransactionCanceledException as error:
                reasons = error.response.get("CancellationReasons", [])
            codes = {r.get("Code") for r in reasons}
            if "ConditionalCheckFailed" in codes or not codes & RETRIED_CANCELLATIONS:
                break
        return reasons
