"""Composes the process's `Ports` in one place. Every adapter and repository is built on its
first use, its module imported then: no boto3 client, stripe, Jinja2 or repository a request
does not use is loaded by it (a cold signup imports the accounts and mail repositories, not
the shop's or the surveys')."""
from __future__ import annotations

import functools
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, TypeVar, cast

from shared.clock import system_clock
from shared.ports import CardProcessor, Clock, Ports

if TYPE_CHECKING:
    from shared.settings import Settings
    from shared.store.table import Table

T = TypeVar("T")


@functools.cache
def ports() -> Ports:
    """The stage's ports, built on first use and kept for the container's life."""
    from shared.settings import get_settings

    return build_ports(get_settings())


class _Deferred:
    """Stands in for an object until one of its attributes is first read, then builds it
    once and hands on every read. Ports' callers call methods and check isinstance, and both
    see the object behind it."""

    __slots__ = ("_build", "_object")

    def __init__(self, build: Callable[[], Any]) -> None:
        self._build = build
        self._object: Any = None

    def built(self) -> Any:
        if self._object is None:
            self._object = self._build()
        return self._object

    def __getattr__(self, name: str) -> Any:
        return getattr(self.built(), name)

    # isinstance() falls back to __class__ when type() does not match, so a check on a port
    # sees the object behind it (built then) rather than this stand-in.
    @property  # type: ignore[misc]
    def __class__(self) -> type:
        return type(self.built())

    def __repr__(self) -> str:
        return f"<deferred {self._object!r}>" if self._object is not None else "<deferred, not built yet>"


def deferred(build: Callable[[], T]) -> T:
    """`build()`'s object, built when first used."""
    return cast(T, _Deferred(build))


def build_ports(settings: Settings, table: Table | None = None, clock: Clock = system_clock) -> Ports:
    if table is None:
        from shared.store.table import DynamoTable

        table = DynamoTable(settings.table_name)
    store = table
    return Ports(
        settings=settings,
        table=store,
        accounts=deferred(lambda: _accounts(store)),
        sign_in=deferred(lambda: _sign_in(store)),
        mail=deferred(lambda: _mail(store)),
        campaigns=deferred(lambda: _campaigns(store)),
        commerce=deferred(lambda: _commerce(store)),
        audit=deferred(lambda: _audit(store)),
        questions=deferred(lambda: _questions(store)),
        surveys=deferred(lambda: _surveys(store)),
        notices=deferred(lambda: _notices(store)),
        access=deferred(lambda: _access(store)),
        mailer=deferred(lambda: _mailer(settings)),
        processor=deferred(lambda: _processor(settings, store)),
        pins=deferred(lambda: _pins(settings)),
        dead_letters=deferred(lambda: _dead_letters(settings)),
        clock=clock,
    )


# One builder per port, each importing its module when first called (explicit imports, so
# the import contracts still see every edge).
def _accounts(table: Table) -> Any:
    from shared.store.accounts import AccountRepository

    return AccountRepository(table)


def _sign_in(table: Table) -> Any:
    from shared.store.sign_in import SignInRepository

    return SignInRepository(table)


def _mail(table: Table) -> Any:
    from shared.store.mail import MailRepository

    return MailRepository(table)


def _campaigns(table: Table) -> Any:
    from shared.store.campaigns import CampaignRepository

    return CampaignRepository(table)


def _commerce(table: Table) -> Any:
    from shared.store.commerce import CommerceRepository

    return CommerceRepository(table)


def _audit(table: Table) -> Any:
    from shared.store.audit import AuditRepository

    return AuditRepository(table)


def _questions(table: Table) -> Any:
    from shared.store.questions import QuestionRepository

    return QuestionRepository(table)


def _surveys(table: Table) -> Any:
    from shared.store.surveys import SurveyRepository

    return SurveyRepository(table)


def _notices(table: Table) -> Any:
    from shared.store.notices import NoticeRepository

    return NoticeRepository(table)


def _access(table: Table) -> Any:
    from shared.store.access import AccessRepository

    return AccessRepository(table)


def _mailer(settings: Settings) -> Any:
    from shared.mail.ses import SesMailer

    return SesMailer(settings.sender_address, settings.configuration_set)


def _pins(settings: Settings) -> Any:
    from shared.pins import KmsPinVault

    return KmsPinVault(settings.pin_key_alias, settings.pin_mac_key_alias)


def _dead_letters(settings: Settings) -> Any:
    from shared.mail.dead_letters import SqsDeadLetters

    return SqsDeadLetters(settings.mail_dead_letter_queue)


def _processor(settings: Settings, table: Table) -> CardProcessor:
    if settings.processor == "sandbox":
        from shared.processor.sandbox import SandboxProcessor
        from shared.store.sandbox import SandboxSessionRepository

        return SandboxProcessor(settings.base_url, SandboxSessionRepository(table), settings.webhook_secret)
    from shared.processor.stripe_checkout import StripeCheckout

    return StripeCheckout(settings.processor_api_key, settings.base_url, settings.webhook_secret)
