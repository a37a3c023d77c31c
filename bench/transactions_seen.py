"""What figure 6 (bench.address_timing) records beside the calls: each DynamoDB
transaction's operation count, and how each ended in the emulator and the time it took."""
from __future__ import annotations

import contextlib
import json
import time

class TransactionSizes:
    """Before each DynamoDB transaction, how many operations it holds, in order. Registered on
    the app's DynamoDB client itself: figure 3's hook sits on the session, whose handlers a
    client copies when it is made, and in the full run the client already exists."""

    def __init__(self) -> None:
        self.sizes: list[int] = []

    def on_call(self, model=None, params=None, **_kwargs) -> None:
        if model.name in ("TransactWriteItems", "TransactGetItems"):
            try:
                body = params["body"]
                self.sizes.append(len(json.loads(body.decode() if isinstance(body, bytes) else body)["TransactItems"]))
            except (KeyError, TypeError, ValueError, AttributeError):
                self.sizes.append(-1)

    def named(self, calls: list[str]) -> tuple[str, ...]:
        """The log's calls, each transaction with its operation count: TransactWriteItems(3)."""
        sizes = iter(self.sizes)
        return tuple(f"{c}({next(sizes, '?')})" if c.endswith(("TransactWriteItems", "TransactGetItems")) else c
                     for c in calls)

    @contextlib.contextmanager
    def registered(self):
        from shared import aws

        events = aws.client("dynamodb").meta.events
        events.register("before-call.dynamodb", self.on_call)
        try:
            yield self
        finally:
            events.unregister("before-call.dynamodb", self.on_call)


class EmulatorTransactions:
    """How each DynamoDB transaction ended in the emulator (this process's moto, behind
    local_stage.moto_patches), and the time it took there: a transaction whose condition
    fails writes nothing and returns sooner than one that commits, so two requests that make
    the same calls may still differ in time by what their transactions did."""

    def __init__(self) -> None:
        self.outcomes: list[str] = []
        self.ms = 0.0

    def reset(self) -> None:
        self.outcomes, self.ms = [], 0.0

    @contextlib.contextmanager
    def watching(self):
        from moto.dynamodb.models import DynamoDBBackend

        original = DynamoDBBackend.transact_write_items
        watcher = self

        def transact_write_items(backend, *args, **kwargs):
            started, outcome = time.perf_counter(), "cancelled"
            try:
                result = original(backend, *args, **kwargs)
                outcome = "committed"
                return result
            finally:
                watcher.ms += (time.perf_counter() - started) * 1000
                watcher.outcomes.append(outcome)

        setattr(DynamoDBBackend, "transact_write_items", transact_write_items)
        try:
            yield self
        finally:
            setattr(DynamoDBBackend, "transact_write_items", original)
