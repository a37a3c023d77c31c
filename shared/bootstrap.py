"""Composes the process's `Ports` in one place. Every adapter is built lazily: no boto3
client, stripe or Jinja2 import happens here, only when an adapter is first used."""
from __future__ import annotations

import functools
from typing import TYPE_CHECKING

from shared.clock import system_clock
from shared.ports import CardProcessor, Clock, Ports

if TYPE_CHECKING:
    from shared.settings import Settings
    from shared.store.table import Table


@functools.cache
def ports() -> Ports:
    """The stage's ports, built on first use and kept for the container's life."""
    from shared.settings import get_settings

    return build_ports(get_settings())


def build_ports(settings: Settings, table: Table | None = None, clock: Clock = system_clock) -> Ports:
    from shared.mail.dead_letters import SqsDeadLetters
    from shared.mail.ses import SesMailer
    from shared.pins import KmsPinVault
    from shared.store.access import AccessRepository
    from shared.store.accounts import AccountRepository
    from shared.store.audit import AuditRepository
    from shared.store.campaigns import CampaignRepository
    from shared.store.commerce import CommerceRepository
    from shared.store.mail import MailRepository
    from shared.store.notices import NoticeRepository
    from shared.store.questions import QuestionRepository
    from shared.store.sign_in import SignInRepository
    from shared.store.surveys import SurveyRepository
    from shared.store.table import DynamoTable

    table = table if table is not None else DynamoTable(settings.table_name)
    return Ports(
        settings=settings,
        table=table,
        accounts=AccountRepository(table),
        sign_in=SignInRepository(table),
        mail=MailRepository(table),
        campaigns=CampaignRepository(table),
        commerce=CommerceRepository(table),
        audit=AuditRepository(table),
        questions=QuestionRepository(table),
        surveys=SurveyRepository(table),
        notices=NoticeRepository(table),
        access=AccessRepository(table),
        mailer=SesMailer(settings.sender_address, settings.configuration_set),
        processor=_processor(settings, table),
        pins=KmsPinVault(settings.pin_key_alias, settings.pin_mac_key_alias),
        dead_letters=SqsDeadLetters(settings.mail_dead_letter_queue),
        clock=clock,
    )


def _processor(settings: Settings, table: Table) -> CardProcessor:
    if settings.processor == "sandbox":
        from shared.processor.sandbox import SandboxProcessor
        from shared.store.sandbox import SandboxSessionRepository

        return SandboxProcessor(settings.base_url, SandboxSessionRepository(table), settings.webhook_secret)
    from shared.processor.stripe_checkout import StripeCheckout

    return StripeCheckout(settings.processor_api_key, settings.base_url, settings.webhook_secret)
