"""Where moto's DynamoDB differs from DynamoDB in ways the store depends on, the emulator
patches it here (local stage, tests and bench only; nothing deployed imports this).

1. Isolation: moto writes from several request threads without isolation; one lock around
   its writes makes each write and each transaction atomic to the others, as DynamoDB's are.
2. Transactions: moto backs a transaction up by deep-copying every table it touches and
   restores that copy when it fails, so each transaction costs time in proportion to the
   whole table (seconds once a table holds tens of thousands of items) and a rollback would
   undo other writes. DynamoDB checks every condition first and writes all or nothing; so
   does this replacement, keeping copies of the touched items only.
3. Queries: moto answers every Query by sorting the whole table, then filtering it, then
   sorting what is left. The first sort is skipped for queries (the last one orders the
   results), which keeps a query over a table of tens of thousands of items in milliseconds.
"""
from __future__ import annotations

import copy
import functools
import threading
from typing import Any

_lock = threading.RLock()
_querying = threading.local()


def apply() -> None:
    from moto.dynamodb.models import DynamoDBBackend

    if getattr(DynamoDBBackend, "_store_patches", False):
        return
    DynamoDBBackend.transact_write_items = _transact_write_items
    _unsorted_items_for_queries()
    for name in ("transact_write_items", "put_item", "update_item", "delete_item", "batch_write_item"):
        original = getattr(DynamoDBBackend, name)

        @functools.wraps(original)
        def serialized(self: Any, *args: Any, _original: Any = original, **kwargs: Any) -> Any:
            with _lock:
                return _original(self, *args, **kwargs)

        setattr(DynamoDBBackend, name, serialized)
    DynamoDBBackend._store_patches = True


def _unsorted_items_for_queries() -> None:
    from moto.dynamodb.models.table import Table

    sorted_items, query = Table.all_items, Table.query

    def all_items(table: Any) -> list[Any]:
        if not getattr(_querying, "active", False):
            return sorted_items(table)
        if table.range_key_attr:
            return [item for group in table.items.values() for item in group.values()]
        return list(table.items.values())

    @functools.wraps(query)
    def querying(table: Any, *args: Any, **kwargs: Any) -> Any:
        _querying.active = True
        try:
            return query(table, *args, **kwargs)
        finally:
            _querying.active = False

    Table.all_items = all_items
    Table.query = querying


def _transact_write_items(backend: Any, transact_items: list[dict[str, Any]]) -> None:
    from moto.dynamodb.comparisons import get_filter_expression
    from moto.dynamodb.exceptions import (
        ConditionalCheckFailed,
        MultipleTransactionsException,
        TooManyTransactionsException,
        TransactionCanceledException,
        TransactWriteSingleOpException,
    )

    if len(transact_items) > 100:
        raise TooManyTransactionsException()
    operations, seen = [], set()
    for entry in transact_items:
        if len(entry) > 1:
            raise TransactWriteSingleOpException
        kind, op = next(iter(entry.items()))
        if kind not in {"ConditionCheck", "Put", "Delete", "Update"}:
            raise ValueError("Unsupported transaction operation")
        table = backend.get_table(op["TableName"])
        if kind == "Put":
            key = {table.hash_key_attr: op["Item"][table.hash_key_attr]}
            if table.range_key_attr is not None:
                key[table.range_key_attr] = op["Item"][table.range_key_attr]
        else:
            key = op["Key"]
        identity = (op["TableName"], str(dict(sorted(key.items()))))
        if identity in seen:
            raise MultipleTransactionsException()
        seen.add(identity)
        operations.append((kind, op, table, key))

    # Every condition against the state before the transaction: any false, nothing is written.
    errors: list[tuple[Any, Any, Any]] = []
    for kind, op, table, key in operations:
        current = backend.get_item(op["TableName"], key)
        condition = op.get("ConditionExpression")
        if condition is not None and not get_filter_expression(
                condition, op.get("ExpressionAttributeNames"), op.get("ExpressionAttributeValues")).expr(current):
            old = current.to_json()["Attributes"] if current and op.get(
                "ReturnValuesOnConditionCheckFailure") == "ALL_OLD" else None
            errors.append(("ConditionalCheckFailed", ConditionalCheckFailed().message, old))
        else:
            errors.append((None, None, None))
    if any(code is not None for code, _, _ in errors):
        raise TransactionCanceledException(errors)

    # All or nothing: keep the touched items (and the streams' lengths) to restore on an error.
    saved = []
    for kind, op, table, key in operations:
        hash_key, range_key = backend.get_keys_value(table, key)
        saved.append((table, hash_key, range_key, copy.deepcopy(table.get_item(hash_key, range_key))))
    streams = {id(t): (t, len(t.stream_shard.items)) for t, *_ in saved if t.stream_shard is not None}
    for index, (kind, op, table, key) in enumerate(operations):
        names, values = op.get("ExpressionAttributeNames"), op.get("ExpressionAttributeValues")
        try:
            if kind == "Put":
                backend.put_item(op["TableName"], op["Item"], expression_attribute_names=names,
                                 expression_attribute_values=values)
            elif kind == "Delete":
                backend.delete_item(op["TableName"], key, expression_attribute_names=names,
                                    expression_attribute_values=values)
            elif kind == "Update":
                backend.update_item(op["TableName"], key, update_expression=op["UpdateExpression"],
                                    expression_attribute_names=names, expression_attribute_values=values)
        except Exception as error:
            for table, hash_key, range_key, item in saved:
                _restore(table, hash_key, range_key, item)
            for table, length in streams.values():
                del table.stream_shard.items[length:]
            failed = [(None, None, None)] * len(operations)
            failed[index] = (type(error).__name__, str(error), None)
            raise TransactionCanceledException(failed) from None


def _restore(table: Any, hash_key: Any, range_key: Any, item: Any) -> None:
    if range_key is not None:
        if item is None:
            table.items[hash_key].pop(range_key, None)
        else:
            table.items[hash_key][range_key] = item
    elif item is None:
        table.items.pop(hash_key, None)
    else:
        table.items[hash_key] = item
