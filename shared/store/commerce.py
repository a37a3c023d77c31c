"""Table access for the catalog's stock, carts, orders and fulfilment (part of Store)."""
from __future__ import annotations

from shared.errors import NotFound
from shared.store.entities import (
    MailJob,
    Order,
    Pin,
    awaiting_stock_key,
    cart_key,
    checkout_session_key,
    idempotency_key,
    sandbox_session_key,
)


class CommerceStore:
    # -- stock -------------------------------------------------------------------------
    def has_stock(self, sku: str) -> bool:
        return bool(self.stock_candidates(sku, 1))

    def stock_candidates(self, sku: str, count: int) -> list[str]:
        """Ids of PINs the index shows available (it lags: allocation re-checks each)."""
        page = self._db.query(
            TableName=self.table_name, IndexName="gsi1", KeyConditionExpression="gsi1pk = :p",
            ExpressionAttributeValues=self._values({":p": f"STOCK#{sku}"}), Limit=count,
        )
        return [self._from_av(i)["pin_id"] for i in page.get("Items", [])]

    def put_pins(self, pins: list[Pin]) -> None:
        self._batch_put([p.to_item() for p in pins])

    def get_pins(self, sku_and_ids: list[tuple[str, str]]) -> list[Pin]:
        if not sku_and_ids:
            return []
        keys = [self._to_av(Pin.key(sku, pin_id)) for sku, pin_id in sku_and_ids]
        found = self._db.batch_get_item(RequestItems={self.table_name: {"Keys": keys, "ConsistentRead": True}})
        return [Pin.from_item(self._from_av(i)) for i in found["Responses"].get(self.table_name, [])]

    # -- carts -------------------------------------------------------------------------
    def get_cart(self, cart_id: str, now: float) -> dict[str, int]:
        item = self._get(cart_key(cart_id))
        if not item or item["expires_at"] <= now:
            return {}
        return {sku: int(quantity) for sku, quantity in item["items"].items()}

    def put_cart(self, cart_id: str, items: dict[str, int], expires_at: int) -> None:
        self._db.put_item(TableName=self.table_name, Item=self._to_av(
            {**cart_key(cart_id), "type": "cart", "items": items, "expires_at": expires_at}))

    # -- checkout ----------------------------------------------------------------------
    def create_order(self, order: Order, key_hash: str, body_hash: str, answer: dict, expires_at: int) -> dict | None:
        """Order, idempotency record and session lookup in one write. Returns None when
        created, else the record an earlier request with the same key left."""
        reasons = self._transact([
            self._put(
                {**idempotency_key(order.account_id, key_hash), "type": "idempotency", "body_hash": body_hash,
                 "answer": answer, "expires_at": expires_at},
                "attribute_not_exists(pk) OR expires_at < :now",
                ExpressionAttributeValues=self._values({":now": int(expires_at - 24 * 3600)}),
                ReturnValuesOnConditionCheckFailure="ALL_OLD",
            ),
            self._put(order.to_item()),
            self._put({**checkout_session_key(order.session_id), "type": "checkout_session",
                       "order_id": order.order_id, "account_id": order.account_id,
                       "amount_cents": order.amount_cents, "currency": order.currency, "lines": order.lines}),
        ])
        if reasons is None:
            return None
        if reasons[0]["item"] is None:
            raise RuntimeError("order transaction refused without an earlier request")
        return reasons[0]["item"]

    def get_checkout_session(self, session_id: str) -> dict | None:
        return self._get(checkout_session_key(session_id), consistent=False)

    def get_order(self, order_id: str) -> Order | None:
        item = self._get(Order.key(order_id))
        return Order.from_item(item) if item else None

    def orders_of(self, account_id: str) -> list[Order]:
        """The index projects every attribute, so its items are the orders (eventually consistent)."""
        return [Order.from_item(i) for i in self._query_index(f"ORDERS#{account_id}")]

    # -- fulfilment --------------------------------------------------------------------
    def fulfil(self, order_id: str, pins: list[tuple[str, str]], job: MailJob, at: str) -> str:
        """Paid, with these PINs and the PIN mail, in one transaction.

        Returns "fulfilled", "already_paid" (nothing written) or "pin_taken" (another order
        got one of the PINs first; nothing written, try other PINs)."""
        order_update = self._update(
            Order.key(order_id), "SET #s = :paid, pin_ids = :pins, paid_at = :at", "attribute_exists(pk) AND #s <> :paid",
            {":paid": "paid", ":pins": [pin_id for _, pin_id in pins], ":at": at},
            ReturnValuesOnConditionCheckFailure="ALL_OLD",
        )
        allocations = [
            self._update(Pin.key(sku, pin_id), "SET #s = :allocated, order_id = :order REMOVE gsi1pk, gsi1sk",
                         "#s = :available", {":allocated": "allocated", ":order": order_id, ":available": "available"})
            for sku, pin_id in pins
        ]
        skus = sorted({sku for sku, _ in pins})
        waiting = [{"Delete": {"TableName": self.table_name, "Key": self._to_av(awaiting_stock_key(s, order_id))}}
                   for s in skus]
        reasons = self._transact([order_update, *allocations, *waiting, self._put(job.to_item())])
        if reasons is None:
            return "fulfilled"
        if reasons[0]["code"] == "ConditionalCheckFailed":
            if reasons[0]["item"] is None:
                raise NotFound("No such order.")
            return "already_paid"
        return "pin_taken"

    def mark_awaiting_stock(self, order_id: str, skus: list[str], at: str) -> bool:
        """Paid but no PIN left: the order waits for an import, visibly to operators."""
        reasons = self._transact([
            self._update(Order.key(order_id), "SET #s = :waiting, paid_at = :at",
                         "attribute_exists(pk) AND NOT #s IN (:paid, :waiting)",
                         {":waiting": "paid_awaiting_stock", ":paid": "paid", ":at": at}),
            *[self._put({**awaiting_stock_key(sku, order_id), "type": "awaiting_stock", "order_id": order_id,
                         "at": at}) for sku in skus],
        ])
        return reasons is None

    def set_order_status(self, order_id: str, status: str, only_from: tuple[str, ...], note: str | None = None) -> bool:
        names = {f":from{i}": s for i, s in enumerate(only_from)}
        try:
            self._db.update_item(
                TableName=self.table_name,
                Key=self._to_av(Order.key(order_id)),
                UpdateExpression="SET #s = :status, note = :note",
                ConditionExpression=f"#s IN ({', '.join(names)})",
                ExpressionAttributeNames={"#s": "status"},
                ExpressionAttributeValues=self._values({":status": status, ":note": note or status, **names}),
            )
            return True
        except self._db.exceptions.ConditionalCheckFailedException:
            return False

    def orders_awaiting_stock(self, sku: str) -> list[str]:
        return [i["order_id"] for i in self._query_key(f"AWAITING#{sku}", "ORDER#")]

    # -- the sandbox processor's records (local stage only) ----------------------------
    def put_sandbox_session(self, session: dict) -> None:
        self._db.put_item(TableName=self.table_name, Item=self._to_av(
            {**sandbox_session_key(session["session_id"]), "type": "sandbox_session", **session}))

    def get_sandbox_session(self, session_id: str) -> dict | None:
        return self._get(sandbox_session_key(session_id))

    # -- batches -----------------------------------------------------------------------
    def _batch_put(self, items: list[dict]) -> None:
        """25 to a batch; what DynamoDB leaves unprocessed is written again."""
        import time

        for start in range(0, len(items), 25):
            pending = [{"PutRequest": {"Item": self._to_av(i)}} for i in items[start: start + 25]]
            for attempt in range(8):
                left = self._db.batch_write_item(RequestItems={self.table_name: pending}).get("UnprocessedItems", {})
                pending = left.get(self.table_name, [])
                if not pending:
                    break
                time.sleep(0.05 * 2**attempt)
            if pending:
                raise RuntimeError("DynamoDB left items unwritten after retries")
