"""Commerce: PIN stock, carts, orders, checkout sessions and orders waiting for stock.

Key shapes: `PINS#<sku>` / `PIN#<id>` (gsi1 `STOCK#<sku>` while available); `CART#<id>` /
`CART`; `ORDER#<id>` / `ORDER` (gsi1 `ORDERS#<account>`); `IDEMPOTENCY#<account>#<sha256>`
/ `CHECKOUT`; `CHECKOUT#<session>` / `SESSION`; `AWAITING#<sku>` / `ORDER#<id>`;
`ORDERCODE#<code>` / `ORDERCODE` (which order a short order code names: one order per code).
"""
from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

from shared.store.expressions import ITEM_ABSENT, ITEM_EXISTS, Attr, Changes, Item
from shared.store.table import (
    ConditionFailed,
    Delete,
    Entity,
    Key,
    Put,
    Table,
    Transaction,
    Update,
    in_force,
    query_all,
)

INDEX = "gsi1"

# Tags of the conditional operations a use case may want to tell apart.
KEY_USED = "idempotency_key_used"  # old value: {"body_hash", "answer"} of the earlier request
ORDER_ALREADY_PAID = "order_already_paid"  # old value: None when there is no such order
PIN_TAKEN = "pin_taken"
ORDER_EXISTS = "order_exists"
ORDER_CODE_TAKEN = "order_code_taken"  # another order holds the short code
PIN_KNOWN = "pin_already_imported"
NOT_WAITING = "order_not_waiting"  # old value: the order's status, None when there is no such order


@dataclass
class Pin(Entity):
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
    def key(sku: str, pin_id: str) -> Key:
        return {"pk": f"PINS#{sku}", "sk": f"PIN#{pin_id}"}

    def to_item(self) -> Item:
        item = {**self.key(self.sku, self.pin_id), "type": "pin", **asdict(self)}
        if self.status == "available":
            item.update(gsi1pk=f"STOCK#{self.sku}", gsi1sk=f"{self.imported_at}#{self.pin_id}")
        return {k: v for k, v in item.items() if v is not None}


@dataclass
class Order(Entity):
    order_id: str
    account_id: str
    lines: list[dict[str, Any]]  # [{sku, quantity, unit_price_cents}]
    amount_cents: int
    currency: str
    description: str
    status: str
    created_at: str
    session_id: str | None = None
    pin_ids: list[str] = field(default_factory=list)
    # [sku, pin id] of each allocated PIN: its key, so reading an order's PINs reads just those
    pins: list[list[str]] = field(default_factory=list)
    paid_at: str | None = None
    note: str | None = None
    code: str | None = None  # the short order code (shared.order_codes); orders before codes have none
    attempt: int = 0  # how many times the customer tried paying again (each a new processor session)
    session_expires_at: int | None = None  # when the current session can no longer be paid
    paid_session_id: str | None = None  # the session whose payment the order was fulfilled with
    earlier_session_ids: list[str] = field(default_factory=list)  # sessions a retry replaced, oldest first

    @staticmethod
    def key(order_id: str) -> Key:
        return {"pk": f"ORDER#{order_id}", "sk": "ORDER"}

    def to_item(self) -> Item:
        item = {**self.key(self.order_id), "type": "order", **asdict(self),
                "gsi1pk": f"ORDERS#{self.account_id}", "gsi1sk": f"{self.created_at}#{self.order_id}"}
        return {k: v for k, v in item.items() if v is not None}


@dataclass(frozen=True)
class CheckoutSession(Entity):
    """Which order a processor checkout session pays for (the callbacks name the session)."""

    session_id: str
    order_id: str
    account_id: str
    amount_cents: int
    currency: str
    lines: list[dict[str, Any]]

    @staticmethod
    def key(session_id: str) -> Key:
        return {"pk": f"CHECKOUT#{session_id}", "sk": "SESSION"}

    def to_item(self) -> Item:
        return {**self.key(self.session_id), "type": "checkout_session", **asdict(self)}

    @classmethod
    def from_item(cls, item: Item) -> CheckoutSession:
        # Items written before the session id was stored name it in their key only.
        return super().from_item({"session_id": item["pk"].removeprefix("CHECKOUT#"), **item})


RETRYABLE = ("pending", "failed", "expired")  # the statuses "Try paying again" starts from
RETRY_RACED = "retry_raced"  # old value: the order's attempt number (None: no such order)
SECOND_PAYMENT_SEEN = "second_payment_seen"


@dataclass(frozen=True)
class PaymentException(Entity):
    """A payment the store did not need: a session of an order that another session had
    paid already. Kept as a financial record (what was charged and what became of it)."""

    session_id: str
    order_id: str
    amount_cents: int
    currency: str
    at: str
    outcome: str  # "refunded" or "refund_failed" (an operator refunds by hand)
    refund_id: str | None = None

    @staticmethod
    def key(session_id: str) -> Key:
        return {"pk": f"PAYMENT_EXCEPTION#{session_id}", "sk": "EXCEPTION"}

    def to_item(self) -> Item:
        item = {**self.key(self.session_id), "type": "payment_exception", **asdict(self),
                "gsi1pk": "PAYMENT_EXCEPTIONS", "gsi1sk": f"{self.at}#{self.session_id}"}
        return {k: v for k, v in item.items() if v is not None}


def _awaiting_key(sku: str, order_id: str) -> Key:
    return {"pk": f"AWAITING#{sku}", "sk": f"ORDER#{order_id}"}


def _marker(sku: str, mac: str, pin_id: str, at: str) -> Item:
    return {"pk": f"PINMAC#{sku}#{mac}", "sk": "MARKER", "type": "pin_marker", "pin_id": pin_id, "at": at}


def _code_key(code: str) -> Key:
    return {"pk": f"ORDERCODE#{code}", "sk": "ORDERCODE"}


def _cart_key(cart_id: str) -> Key:
    return {"pk": f"CART#{cart_id}", "sk": "CART"}


def _earlier_request(item: Item) -> dict[str, Any]:
    return {"body_hash": item["body_hash"], "answer": item["answer"]}


def _present(item: Item) -> bool:
    return True


class CommerceRepository:
    def __init__(self, table: Table) -> None:
        self._table = table

    # -- stock ----------------------------------------------------------------------------
    def stock_candidates(self, sku: str, count: int) -> list[str]:
        """Ids of PINs the index shows available (it lags: allocation re-checks each)."""
        return [i["pin_id"] for i in self._table.query(f"STOCK#{sku}", index=INDEX, limit=count).items]

    def has_stock(self, sku: str) -> bool:
        return bool(self.stock_candidates(sku, 1))

    def put_pins(self, pins: list[Pin]) -> None:
        self._table.put_many([p.to_item() for p in pins])

    def put_pin_once(self, pin: Pin, mac: str) -> bool:
        """Add a PIN with its marker (the MAC of sku and PIN), unless the marker shows the
        PIN was imported before: then nothing is written and the answer is False."""
        tx = Transaction([Put(_marker(pin.sku, mac, pin.pin_id, pin.imported_at), ITEM_ABSENT, tag=PIN_KNOWN),
                          Put(pin.to_item())])
        try:
            self._table.commit(tx)
        except ConditionFailed as failed:
            if PIN_KNOWN in failed.tags:
                return False
            raise
        return True

    def mark_pin(self, sku: str, mac: str, pin_id: str, at: str) -> bool:
        """The marker of a PIN already in stock (the backfill); False when it has one."""
        try:
            self._table.put(Put(_marker(sku, mac, pin_id, at), ITEM_ABSENT))
        except ConditionFailed:
            return False
        return True

    def pins(self, sku_and_ids: list[tuple[str, str]]) -> list[Pin]:
        return [Pin.from_item(i) for i in self._table.get_many([Pin.key(s, p) for s, p in sku_and_ids])]

    def pins_of_sku(self, sku: str) -> list[Pin]:
        """Every PIN item of a SKU, whatever its state (operators and audits)."""
        return [Pin.from_item(i) for i in query_all(self._table, f"PINS#{sku}", prefix="PIN#")]

    # -- carts ----------------------------------------------------------------------------
    def cart(self, cart_id: str, now: float) -> dict[str, int]:
        item = self._table.get(_cart_key(cart_id))
        if not item or item["expires_at"] <= now:
            return {}
        return {sku: int(quantity) for sku, quantity in item["items"].items()}

    def put_cart(self, cart_id: str, items: dict[str, int], expires_at: int) -> None:
        self._table.put(Put({**_cart_key(cart_id), "type": "cart", "items": items, "expires_at": expires_at}))

    # -- checkout -------------------------------------------------------------------------
    def add_checkout(self, tx: Transaction, order: Order, session: CheckoutSession, key_hash: str, body_hash: str,
                     answer: dict[str, Any], now: int, expires_at: int) -> None:
        """The order, its idempotency record and its session lookup. KEY_USED fails while
        an unexpired record of the same key exists; ORDER_EXISTS when the order does (an
        order is never overwritten, whatever became of the key's record)."""
        record = {"pk": f"IDEMPOTENCY#{order.account_id}#{key_hash}", "sk": "CHECKOUT", "type": "idempotency",
                  "body_hash": body_hash, "answer": answer, "expires_at": expires_at}
        tx.add(
            Put(record, ITEM_ABSENT | (Attr("expires_at") < now), tag=KEY_USED, decode=_earlier_request),
            Put(order.to_item(), ITEM_ABSENT, tag=ORDER_EXISTS),
            Put(session.to_item()),
        )
        if order.code:  # the code is the order's alone; the same order's retry may write it again
            tx.add(Put({**_code_key(order.code), "type": "order_code", "order_id": order.order_id},
                       ITEM_ABSENT | (Attr("order_id") == order.order_id), tag=ORDER_CODE_TAKEN))

    def checkout_answer(self, account_id: str, key_hash: str, now: int) -> tuple[str, dict[str, Any]] | None:
        """The body hash and answer of the account's checkout under this key, while its
        idempotency record is in force."""
        item = self._table.get({"pk": f"IDEMPOTENCY#{account_id}#{key_hash}", "sk": "CHECKOUT"})
        if item is None or not in_force(item, now):
            return None
        return str(item["body_hash"]), dict(item["answer"])

    def checkout_session(self, session_id: str) -> CheckoutSession | None:
        item = self._table.get(CheckoutSession.key(session_id), consistent=False)
        return CheckoutSession.from_item(item) if item else None

    def order(self, order_id: str) -> Order | None:
        item = self._table.get(Order.key(order_id))
        return Order.from_item(item) if item else None

    def orders_of(self, account_id: str) -> list[Order]:
        """The index projects every attribute, so its items are the orders (eventually consistent)."""
        return [Order.from_item(i) for i in query_all(self._table, f"ORDERS#{account_id}", index=INDEX)]

    # -- fulfilment -----------------------------------------------------------------------
    def add_payment(self, tx: Transaction, order_id: str, pins: list[tuple[str, str]], at: str,
                    session_id: str | None = None) -> None:
        """The order paid with these PINs, each allocated only if still available, and out
        of the waiting lists. ORDER_ALREADY_PAID or PIN_TAKEN fail otherwise. `session_id`:
        the session that paid (an order waiting for stock has it already)."""
        paid = {"status": "paid", "pin_ids": [p for _, p in pins], "pins": [[sku, p] for sku, p in pins], "paid_at": at,
                **({"paid_session_id": session_id} if session_id else {})}
        tx.add(Update(Order.key(order_id), Changes(set=paid),
                      ITEM_EXISTS & (Attr("status") != "paid"), tag=ORDER_ALREADY_PAID, decode=_present))
        for sku, pin_id in pins:
            tx.add(Update(Pin.key(sku, pin_id), Changes(set={"status": "allocated", "order_id": order_id},
                                                        remove=("gsi1pk", "gsi1sk")),
                          Attr("status") == "available", tag=PIN_TAKEN))
        for sku in sorted({sku for sku, _ in pins}):
            tx.add(Delete(_awaiting_key(sku, order_id)))

    def add_awaiting_stock(self, tx: Transaction, order_id: str, skus: list[str], at: str,
                           session_id: str | None = None) -> None:
        """Paid but no PIN left: the order waits for stock, visibly to operators. NOT_WAITING
        fails when the order is paid or waiting already."""
        waiting = {"status": "paid_awaiting_stock", "paid_at": at, **({"paid_session_id": session_id} if session_id else {})}
        tx.add(Update(Order.key(order_id), Changes(set=waiting),
                      ITEM_EXISTS & ~Attr("status").is_in(("paid", "paid_awaiting_stock")), tag=NOT_WAITING,
                      decode=lambda item: str(item["status"])))
        for sku in skus:
            tx.add(Put({**_awaiting_key(sku, order_id), "type": "awaiting_stock", "order_id": order_id, "at": at}))

    def set_order_status(self, order_id: str, status: str, only_from: tuple[str, ...], note: str | None = None,
                         session_id: str | None = None) -> bool:
        """False, changing nothing, when the order's status is not one of `only_from` (or,
        given a `session_id`, when that is no longer the order's session: a retry replaced it)."""
        condition = Attr("status").is_in(only_from)
        if session_id is not None:
            condition = condition & (Attr("session_id") == session_id)
        try:
            self._table.update(Update(Order.key(order_id), Changes(set={"status": status, "note": note or status}),
                                      condition))
        except ConditionFailed:
            return False
        return True

    # -- paying again ---------------------------------------------------------------------
    def add_retry(self, tx: Transaction, order: Order, session: CheckoutSession, attempt: int, expires_at: int) -> None:
        """The order's next processor session, if no other retry got there first and the order
        is still unpaid; RETRY_RACED fails otherwise (reporting the attempt it is at)."""
        condition = Attr("status").is_in(RETRYABLE) & (
            (Attr("attempt") == attempt - 1) if attempt > 1 else (Attr("attempt").absent() | (Attr("attempt") == 0)))
        replaced = [*order.earlier_session_ids, *([order.session_id] if order.session_id else [])]
        tx.add(Update(Order.key(order.order_id), Changes(set={"session_id": session.session_id, "attempt": attempt,
                                                               "status": "pending", "session_expires_at": expires_at,
                                                               "earlier_session_ids": replaced}),
                      ITEM_EXISTS & condition, tag=RETRY_RACED, decode=lambda item: item.get("attempt", 0)),
               Put(session.to_item()))

    def add_payment_exception(self, tx: Transaction, exception: PaymentException) -> None:
        """SECOND_PAYMENT_SEEN fails when this session's exception is recorded already (a
        redelivered callback must not refund twice)."""
        tx.add(Put(exception.to_item(), ITEM_ABSENT, tag=SECOND_PAYMENT_SEEN))

    def set_exception_outcome(self, session_id: str, outcome: str, refund_id: str | None) -> None:
        self._table.update(Update(PaymentException.key(session_id),
                                  Changes(set={"outcome": outcome, **({"refund_id": refund_id} if refund_id else {})})))

    def payment_exception(self, session_id: str) -> PaymentException | None:
        item = self._table.get(PaymentException.key(session_id))
        return PaymentException.from_item(item) if item else None

    def payment_exceptions(self) -> list[PaymentException]:
        return [PaymentException.from_item(i) for i in query_all(self._table, "PAYMENT_EXCEPTIONS", index=INDEX)]

    def orders_awaiting_stock(self, sku: str) -> list[str]:
        return [i["order_id"] for i in query_all(self._table, f"AWAITING#{sku}", prefix="ORDER#")]
