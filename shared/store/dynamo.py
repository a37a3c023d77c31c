"""The DynamoDB store: every read and write of the table goes through here.

ClientError codes become domain outcomes here; no caller sees botocore. No method scans.
"""
from __future__ import annotations

from decimal import Decimal
from typing import Any, Iterable

from shared.errors import InvalidToken, NotFound
from shared.models import ALL_TOPICS
from shared.store.commerce import CommerceStore
from shared.store.entities import (
    OPEN_QUESTIONS_INDEX_KEY,
    UNSENT_INDEX_KEY,
    Account,
    ConsentEvent,
    ContactQuestion,
    EmailChange,
    EmailLookup,
    LoginToken,
    Session,
    active_index_key,
    MailJob,
    Preferences,
    audience_key,
    forgotten_friend_key,
    link_mail_counter_key,
    soft_bounce_key,
    suppression_key,
)


class AddressTaken(Exception):
    """Signup met an address that already has an account."""

    def __init__(self, account_id: str) -> None:
        super().__init__("address already has an account")
        self.account_id = account_id


def _plain(value: Any) -> Any:
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, (list, set)):
        return [_plain(v) for v in value]
    return value


class Store(CommerceStore):
    def __init__(self, table_name: str, dynamodb=None) -> None:
        from boto3.dynamodb.types import TypeDeserializer, TypeSerializer

        self.table_name = table_name
        if dynamodb is None:
            from shared import aws

            dynamodb = aws.client("dynamodb")
        self._db = dynamodb
        self._ser = TypeSerializer()
        self._de = TypeDeserializer()

    # -- marshalling -------------------------------------------------------------------
    def _to_av(self, item: dict) -> dict:
        return {k: self._ser.serialize(v) for k, v in item.items() if v is not None}

    def _from_av(self, item: dict) -> dict:
        return {k: _plain(self._de.deserialize(v)) for k, v in item.items()}

    def _values(self, values: dict) -> dict:
        return {k: self._ser.serialize(v) for k, v in values.items()}

    def _put(self, item: dict, condition: str | None = None, **extra) -> dict:
        op = {"TableName": self.table_name, "Item": self._to_av(item), **extra}
        if condition:
            op["ConditionExpression"] = condition
        return {"Put": op}

    def _get(self, key: dict, consistent: bool = True) -> dict | None:
        found = self._db.get_item(TableName=self.table_name, Key=self._to_av(key), ConsistentRead=consistent)
        return self._from_av(found["Item"]) if "Item" in found else None

    def _transact(self, operations: list[dict]) -> list[dict] | None:
        """Run a transaction; None on success, else the cancellation reasons (old items decoded)."""
        try:
            self._db.transact_write_items(TransactItems=operations)
            return None
        except self._db.exceptions.TransactionCanceledException as error:
            reasons = error.response.get("CancellationReasons", [])
            if not any(r.get("Code") == "ConditionalCheckFailed" for r in reasons):
                raise
            return [
                {"code": r.get("Code"), "item": self._from_av(r["Item"]) if r.get("Item") else None}
                for r in reasons
            ]

    def _update(self, key: dict, expression: str, condition: str, values: dict, names: dict | None = None,
                **extra) -> dict:
        """One Update of a transaction; `#s` always names the reserved word `status`."""
        names = {**({"#s": "status"} if "#s" in expression + condition else {}), **(names or {})}
        op = {"TableName": self.table_name, "Key": self._to_av(key), "UpdateExpression": expression,
              "ConditionExpression": condition, "ExpressionAttributeValues": self._values(values), **extra}
        if names:
            op["ExpressionAttributeNames"] = names
        return {"Update": op}

    def _counter_update(self, key: dict, cap: int, expires_at: int) -> dict:
        return self._update(key, "ADD sent :one SET expires_at = :exp", "attribute_not_exists(sent) OR sent < :cap",
                            {":one": 1, ":exp": expires_at, ":cap": cap})

    # -- accounts ----------------------------------------------------------------------
    def create_account(
        self,
        account: Account,
        preferences: Preferences,
        consent: ConsentEvent,
        welcome: MailJob,
        link_mail_hour: int,
        link_mail_cap: int,
    ) -> None:
        """All of signup in one transaction; raises AddressTaken for a known address."""
        lookup = EmailLookup(account.email_hash, account.account_id)
        reasons = self._transact(
            [
                self._put(
                    lookup.to_item(),
                    "attribute_not_exists(pk)",
                    ReturnValuesOnConditionCheckFailure="ALL_OLD",
                ),
                self._put(account.to_item(), "attribute_not_exists(pk)"),
                self._put(preferences.to_item()),
                self._put(consent.to_item()),
                self._put(welcome.to_item()),
                self._counter_update(
                    link_mail_counter_key(account.email_hash, link_mail_hour), link_mail_cap, (link_mail_hour + 2) * 3600
                ),
            ]
        )
        if reasons is None:
            return
        existing = reasons[0]["item"]
        if existing is None:  # the account id collided (2**-128) or the hourly cap was hit
            raise RuntimeError("signup transaction refused without an existing address")
        raise AddressTaken(existing["account_id"])

    def account_id_for(self, email_hash: str) -> str | None:
        item = self._get(EmailLookup.key(email_hash))
        return item["account_id"] if item else None

    def get_account(self, account_id: str) -> Account | None:
        item = self._get(Account.key(account_id))
        return Account.from_item(item) if item else None

    def get_account_and_preferences(self, account_id: str) -> tuple[Account | None, Preferences | None]:
        """Both items of an account in one round trip (the mail sender's re-check)."""
        keys = [self._to_av(Account.key(account_id)), self._to_av(Preferences.key(account_id))]
        found = self._db.batch_get_item(RequestItems={self.table_name: {"Keys": keys, "ConsistentRead": True}})
        items = {i["sk"]: i for i in (self._from_av(i) for i in found["Responses"].get(self.table_name, []))}
        if found.get("UnprocessedKeys"):  # throttled: fall back to one read each
            return self.get_account(account_id), self.get_preferences(account_id)
        account = Account.from_item(items["PROFILE"]) if "PROFILE" in items else None
        preferences = Preferences.from_item(items["PREFS"]) if "PREFS" in items else None
        return account, preferences

    def get_preferences(self, account_id: str) -> Preferences | None:
        item = self._get(Preferences.key(account_id))
        return Preferences.from_item(item) if item else None

    def activate_account(self, account_id: str) -> Account:
        """pending → active, joining the audiences of the topics already switched on.

        An active account stays as it is; a deactivated one cannot be revived by a link.
        """
        account = self.get_account(account_id)
        if account is None or account.status == "deactivated":
            raise InvalidToken("This link is no longer valid.")
        if account.status == "active":
            return account
        preferences = self.get_preferences(account_id)
        topics_on = [t for t, on in (preferences.topics if preferences else {}).items() if on]
        index = active_index_key(account_id)
        operations = [
            self._update(
                Account.key(account_id), "SET #s = :active, gsi1pk = :gpk, gsi1sk = :gsk", "#s = :pending",
                {":active": "active", ":pending": "pending", ":gpk": index["gsi1pk"], ":gsk": index["gsi1sk"]},
            ),
            *[self._put({**audience_key(t, account_id), "account_id": account_id}) for t in topics_on],
        ]
        if self._transact(operations) is not None:  # confirmed concurrently by another click
            return self.get_account(account_id) or account
        account.status = "active"
        return account

    def update_name(self, account_id: str, name: str) -> None:
        self._db.update_item(
            TableName=self.table_name,
            Key=self._to_av(Account.key(account_id)),
            UpdateExpression="SET #n = :name",
            ConditionExpression="attribute_exists(pk)",
            ExpressionAttributeNames={"#n": "name"},
            ExpressionAttributeValues=self._values({":name": name}),
        )

    def deactivate_account(self, account_id: str, at: str) -> bool:
        """Deactivate (P28): out of every audience and index, every session ended; nothing
        deleted. False when it already was deactivated."""
        reasons = self._transact(
            [
                self._update(Account.key(account_id), "SET #s = :gone, deactivated_at = :at REMOVE gsi1pk, gsi1sk",
                             "attribute_exists(pk) AND #s <> :gone", {":gone": "deactivated", ":at": at}),
                *[
                    {"Delete": {"TableName": self.table_name, "Key": self._to_av(audience_key(t, account_id))}}
                    for t in ALL_TOPICS
                ],
            ]
        )
        self.delete_sessions_of(account_id)
        return reasons is None

    def consent_history(self, account_id: str) -> list[dict]:
        items = self._query_key(f"ACCOUNT#{account_id}", "CONSENT#")
        return [{k: i[k] for k in ("at", "source", "topics")} for i in items]

    def _query_key(self, pk: str, sk_prefix: str) -> list[dict]:
        params = {
            "TableName": self.table_name,
            "KeyConditionExpression": "pk = :pk AND begins_with(sk, :prefix)",
            "ExpressionAttributeValues": self._values({":pk": pk, ":prefix": sk_prefix}),
        }
        found = []
        while True:
            page = self._db.query(**params)
            found.extend(self._from_av(i) for i in page.get("Items", []))
            if "LastEvaluatedKey" not in page:
                return found
            params["ExclusiveStartKey"] = page["LastEvaluatedKey"]

    def active_account_ids(self, shard: int, start: dict | None = None) -> tuple[list[str], dict | None]:
        """One page of a shard of the active-accounts index (service mail's audience)."""
        params = {
            "TableName": self.table_name,
            "IndexName": "gsi1",
            "KeyConditionExpression": "gsi1pk = :p",
            "ExpressionAttributeValues": self._values({":p": f"ACTIVE#{shard}"}),
        }
        if start:
            params["ExclusiveStartKey"] = start
        page = self._db.query(**params)
        return [self._from_av(i)["account_id"] for i in page.get("Items", [])], page.get("LastEvaluatedKey")

    # -- email change ------------------------------------------------------------------
    def put_email_change(self, change: EmailChange, job: MailJob) -> None:
        self._transact([self._put(change.to_item()), self._put(job.to_item())])

    def apply_email_change(self, account_id: str, now: float, notice: MailJob) -> Account:
        """Move the account to its confirmed new address, atomically, and tell the old one."""
        item = self._get(EmailChange.key(account_id))
        account = self.get_account(account_id)
        if not item or item["expires_at"] <= now or account is None or account.status != "active":
            raise InvalidToken("This link has expired or was already used.")
        change = EmailChange.from_item(item)
        reasons = self._transact(
            [
                self._put(EmailLookup(change.new_email_hash, account_id).to_item(), "attribute_not_exists(pk)"),
                {
                    "Delete": {
                        "TableName": self.table_name,
                        "Key": self._to_av(EmailLookup.key(account.email_hash)),
                        "ConditionExpression": "account_id = :id",
                        "ExpressionAttributeValues": self._values({":id": account_id}),
                    }
                },
                self._update(Account.key(account_id), "SET email = :email, email_hash = :hash", "email_hash = :old",
                             {":email": change.new_email, ":hash": change.new_email_hash, ":old": account.email_hash}),
                {"Delete": {"TableName": self.table_name, "Key": self._to_av(EmailChange.key(account_id))}},
                self._put(notice.to_item()),
            ]
        )
        if reasons is not None:  # the new address got an account meanwhile, or a race: nothing changed
            raise InvalidToken("This address change can no longer be completed.")
        account.email, account.email_hash = change.new_email, change.new_email_hash
        return account

    # -- sessions ----------------------------------------------------------------------
    def put_session(self, session: Session) -> None:
        self._db.put_item(TableName=self.table_name, Item=self._to_av(session.to_item()))

    def get_session(self, token_hash: str, now: float) -> Session | None:
        item = self._get(Session.key(token_hash), consistent=True)
        if not item or item["expires_at"] <= now:  # TTL deletion lags: check expiry ourselves
            return None
        return Session.from_item(item)

    def delete_session(self, token_hash: str) -> None:
        self._db.delete_item(TableName=self.table_name, Key=self._to_av(Session.key(token_hash)))

    def delete_sessions_of(self, account_id: str) -> None:
        for item in list(self._query_index(f"SESSIONS#{account_id}")):
            self.delete_session(item["token_hash"])

    def set_topics(self, account_id: str, changes: dict[str, bool], consent: ConsentEvent, in_audience: bool) -> bool:
        """Apply topic changes with their consent event and audience membership, atomically.

        Returns False, writing nothing, when every topic already had the asked value.
        `in_audience`: whether topics switched on should join their audience (active accounts).
        """
        names = {f"#t{i}": topic for i, topic in enumerate(changes)}
        values = {f":v{i}": on for i, on in enumerate(changes.values())}
        assignments = ", ".join(f"topics.{n} = {v}" for n, v in zip(names, values))
        differs = " OR ".join(f"topics.{n} <> {v}" for n, v in zip(names, values))
        audience_ops = []
        for topic, on in changes.items():
            key = audience_key(topic, account_id)
            if on and in_audience:
                audience_ops.append(self._put({**key, "account_id": account_id}))
            elif not on:
                audience_ops.append({"Delete": {"TableName": self.table_name, "Key": self._to_av(key)}})
        reasons = self._transact(
            [
                self._update(Preferences.key(account_id), f"SET {assignments}, updated_at = :at",
                             f"attribute_exists(pk) AND ({differs})", {**values, ":at": consent.at}, names,
                             ReturnValuesOnConditionCheckFailure="ALL_OLD"),
                self._put(consent.to_item()),
                *audience_ops,
                *([self._still_active(account_id)] if any(on for on in changes.values()) and in_audience else []),
            ]
        )
        if reasons is None:
            return True
        if reasons[0]["item"] is None:
            raise NotFound("No such account.")
        return False

    def _still_active(self, account_id: str) -> dict:
        """Joining an audience requires the account to be active when the write lands."""
        return {
            "ConditionCheck": {
                "TableName": self.table_name,
                "Key": self._to_av(Account.key(account_id)),
                "ConditionExpression": "#s = :active",
                "ExpressionAttributeNames": {"#s": "status"},
                "ExpressionAttributeValues": self._values({":active": "active"}),
            }
        }

    def audience_members(self, topic: str, shard: int, start: dict | None = None) -> tuple[list[str], dict | None]:
        """One page of an audience shard (account ids) and the key to continue from."""
        params = {
            "TableName": self.table_name,
            "KeyConditionExpression": "pk = :pk",
            "ExpressionAttributeValues": self._values({":pk": f"AUDIENCE#{topic}#{shard}"}),
        }
        if start:
            params["ExclusiveStartKey"] = start
        page = self._db.query(**params)
        ids = [self._from_av(i)["account_id"] for i in page.get("Items", [])]
        return ids, page.get("LastEvaluatedKey")

    # -- link mails and tokens ---------------------------------------------------------
    def queue_link_mail(self, email_hash: str, hour: int, cap: int, job: MailJob) -> bool:
        """Write a link mail job unless the address hit its hourly cap (then write nothing)."""
        reasons = self._transact(
            [
                self._counter_update(link_mail_counter_key(email_hash, hour), cap, (hour + 2) * 3600),
                self._put(job.to_item()),
            ]
        )
        return reasons is None

    def put_login_token(self, token: LoginToken) -> None:
        self._db.put_item(TableName=self.table_name, Item=self._to_av(token.to_item()))

    def peek_login_token(self, token_hash: str, now: float) -> LoginToken:
        item = self._get(LoginToken.key(token_hash), consistent=False)
        if not item or item["expires_at"] <= now:  # TTL deletion lags: check expiry ourselves
            raise InvalidToken("This link has expired or was already used.")
        return LoginToken.from_item(item)

    def consume_login_token(self, token_hash: str, now: float) -> LoginToken:
        """Delete the token if it exists and has not expired: single use, atomically."""
        try:
            old = self._db.delete_item(
                TableName=self.table_name,
                Key=self._to_av(LoginToken.key(token_hash)),
                ConditionExpression="attribute_exists(pk) AND expires_at > :now",
                ExpressionAttributeValues=self._values({":now": int(now)}),
                ReturnValues="ALL_OLD",
            )
        except self._db.exceptions.ConditionalCheckFailedException:
            raise InvalidToken("This link has expired or was already used.") from None
        return LoginToken.from_item(self._from_av(old["Attributes"]))

    # -- suppression -------------------------------------------------------------------
    def suppression_of(self, email_hash: str) -> str | None:
        item = self._get(suppression_key(email_hash), consistent=False)
        return item["reason"] if item else None

    def suppress(self, email_hash: str, reason: str, at: str) -> None:
        """Record a suppression; a hard bounce outranks a complaint, so never downgrade it."""
        try:
            self._db.put_item(
                TableName=self.table_name,
                Item=self._to_av({**suppression_key(email_hash), "type": "suppression", "reason": reason, "at": at}),
                ConditionExpression="attribute_not_exists(pk) OR reason <> :hard",
                ExpressionAttributeValues=self._values({":hard": "hard_bounce"}),
            )
        except self._db.exceptions.ConditionalCheckFailedException:
            pass

    def count_soft_bounce(self, email_hash: str, now: float, window_seconds: int) -> int:
        """Count a transient bounce in a window that restarts when the last one expired."""
        key = self._to_av(soft_bounce_key(email_hash))
        try:
            result = self._db.update_item(
                TableName=self.table_name,
                Key=key,
                UpdateExpression="ADD bounces :one",
                ConditionExpression="expires_at > :now",
                ExpressionAttributeValues=self._values({":one": 1, ":now": int(now)}),
                ReturnValues="UPDATED_NEW",
            )
            return int(result["Attributes"]["bounces"]["N"])
        except self._db.exceptions.ConditionalCheckFailedException:
            self._db.put_item(
                TableName=self.table_name,
                Item=self._to_av({**soft_bounce_key(email_hash), "bounces": 1, "expires_at": int(now) + window_seconds}),
            )
            return 1

    def forget_friend(self, email_hash: str, at: str) -> None:
        self._db.put_item(
            TableName=self.table_name,
            Item=self._to_av({**forgotten_friend_key(email_hash), "type": "forgotten_friend", "at": at}),
        )

    def is_forgotten_friend(self, email_hash: str) -> bool:
        return self._get(forgotten_friend_key(email_hash), consistent=False) is not None

    # -- contact questions -------------------------------------------------------------
    def put_question(self, question: ContactQuestion) -> None:
        self._db.put_item(TableName=self.table_name, Item=self._to_av(question.to_item()))

    def open_questions(self, now: float) -> list[ContactQuestion]:
        """Oldest first; expired ones are skipped here because TTL deletion lags."""
        found: list[ContactQuestion] = []
        for item in self._query_index(OPEN_QUESTIONS_INDEX_KEY):
            if item["expires_at"] > now:
                found.append(ContactQuestion.from_item(item))
        return found

    def _query_index(self, partition: str, limit: int | None = None) -> Iterable[dict]:
        params = {
            "TableName": self.table_name,
            "IndexName": "gsi1",
            "KeyConditionExpression": "gsi1pk = :p",
            "ExpressionAttributeValues": self._values({":p": partition}),
        }
        if limit:
            params["Limit"] = limit
        while True:
            page = self._db.query(**params)
            yield from (self._from_av(i) for i in page.get("Items", []))
            if "LastEvaluatedKey" not in page or limit:
                return
            params["ExclusiveStartKey"] = page["LastEvaluatedKey"]

    # -- audit -------------------------------------------------------------------------
    def record_audit(self, operation: str, at: str, audit_id: str, account_id: str | None = None) -> None:
        item = {"pk": f"AUDIT#{at[:10]}", "sk": f"{at}#{audit_id}", "type": "audit", "operation": operation,
                "at": at, "account_id": account_id}
        self._db.put_item(TableName=self.table_name, Item=self._to_av(item))

    # -- mail jobs ---------------------------------------------------------------------
    def put_job(self, job: MailJob) -> None:
        self._db.put_item(TableName=self.table_name, Item=self._to_av(job.to_item()))

    def put_jobs(self, jobs: list[MailJob]) -> None:
        self._batch_put([j.to_item() for j in jobs])

    def get_job(self, job_id: str) -> MailJob | None:
        item = self._get(MailJob.key(job_id))
        return MailJob.from_item(item) if item else None

    def unsent_job_ids(self, limit: int = 100) -> list[str]:
        return [i["job_id"] for i in self._query_index(UNSENT_INDEX_KEY, limit=limit)]

    def claim_job(self, job_id: str, now: float, lease_seconds: int) -> MailJob | None:
        """Take a pending job for `lease_seconds`; None when it is sent, done or leased."""
        try:
            result = self._db.update_item(
                TableName=self.table_name,
                Key=self._to_av(MailJob.key(job_id)),
                UpdateExpression="SET lease_until = :until ADD attempts :one",
                ConditionExpression="#s = :pending AND (attribute_not_exists(lease_until) OR lease_until < :now)",
                ExpressionAttributeNames={"#s": "status"},
                ExpressionAttributeValues=self._values(
                    {":until": int(now) + lease_seconds, ":one": 1, ":now": int(now), ":pending": "pending"}
                ),
                ReturnValues="ALL_NEW",
            )
        except self._db.exceptions.ConditionalCheckFailedException:
            return None
        return MailJob.from_item(self._from_av(result["Attributes"]))

    def finish_job(self, job_id: str, status: str, at: str, detail: str | None = None) -> None:
        """sent / skipped / failed: leaves the unsent index for good."""
        self._db.update_item(
            TableName=self.table_name,
            Key=self._to_av(MailJob.key(job_id)),
            UpdateExpression="SET #s = :status, finished_at = :at, detail = :detail REMOVE gsi1pk, gsi1sk, lease_until",
            ExpressionAttributeNames={"#s": "status"},
            ExpressionAttributeValues=self._values({":status": status, ":at": at, ":detail": detail or status}),
        )
