"""`Ports`: what a use case works through, composed once per process (`process_ports()`) and
handed by the edge to every view, event handler and operator function.

Each repository is a property typed with its concrete class, so mypy checks every call
against the real signature, and built on first use, its module imported then: a cold signup
pays for the accounts and outbox repositories, not for the shop's or the surveys'. Protocols
stay only where a second implementation exists: the clock, the mailer, the card processor,
the PIN vault and the dead-letter reporter (tests/fakes.py has their fakes).

Purpose-limited data (friend data, contest contact data) has no property here: only the use
cases an import contract allows build those repositories, over `table`.
"""
from __future__ import annotations

import functools
from typing import TYPE_CHECKING, Any, Protocol

from shared.clock import system_clock

if TYPE_CHECKING:
    from shared.mail.ses import OutgoingMail
    from shared.processor import CheckoutRequest, HostedCheckout
    from shared.settings import Settings
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
    from shared.store.table import Table


class Clock(Protocol):
    def now(self) -> float: ...

    def sleep(self, seconds: float) -> None: ...

    def iso(self, at: float | None = None) -> str: ...


class Mailer(Protocol):
    def send(self, mail: OutgoingMail) -> str: ...


class CardProcessor(Protocol):
    name: str

    def create_checkout(self, request: CheckoutRequest, idempotency_key: str) -> HostedCheckout: ...

    def expire_checkout(self, session_id: str) -> bool:
        """End a checkout session so it can no longer be paid: True once it is expired (now or
        before), False when it was already completed (paid, or a payment under way)."""
        ...

    def refund(self, session_id: str, amount_cents: int, idempotency_key: str) -> str:
        """Refund what the session charged; the refund's id (the same for the same key)."""
        ...

    def verify_callback(self, payload: bytes, signature_header: str | None, now: float) -> dict[str, Any]: ...


class PinVault(Protocol):
    """Encrypts PINs under the stage's key, bound to their SKU and PIN id (P27)."""

    def encrypt(self, plain: str, sku: str, pin_id: str) -> str: ...

    def decrypt(self, cipher: str, sku: str, pin_id: str) -> str: ...

    def mac(self, sku: str, pin: str) -> str: ...


class DeadLetters(Protocol):
    """Where mail that exhausted its attempts is reported for an operator."""

    def report(self, job_id: str) -> None: ...


_ADAPTERS = ("mailer", "processor", "pin_vault", "dead_letters")


class Ports:
    """The stage's settings, its table, a clock, and every repository and adapter built on
    first use. Read-only once made: `replace()` gives a new one with some parts swapped."""

    def __init__(self, settings: Settings, table: Table, clock: Clock = system_clock, *,
                 mailer: Mailer | None = None, processor: CardProcessor | None = None,
                 pin_vault: PinVault | None = None, dead_letters: DeadLetters | None = None) -> None:
        given = {"settings": settings, "table": table, "clock": clock, "mailer": mailer, "processor": processor,
                 "pin_vault": pin_vault, "dead_letters": dead_letters}
        # A cached property reads the instance's __dict__ first: an adapter given here is simply
        # what the property would have built.
        self.__dict__.update({name: value for name, value in given.items() if value is not None})

    def __setattr__(self, name: str, value: object) -> None:
        raise AttributeError(f"Ports is read-only; use replace({name}=...)")

    def replace(self, **overrides: Any) -> Ports:
        """A new `Ports` with any adapter or repository replaced; what was built is shared.
        A new table drops the repositories built over the old one (adapters are kept)."""
        unknown = set(overrides) - set(self.parts())
        if unknown:
            raise TypeError(f"Ports has no part named {sorted(unknown)}")
        kept = dict(self.__dict__)
        if "table" in overrides:
            kept = {name: value for name, value in kept.items() if name in ("settings", "clock", *_ADAPTERS)}
        made = Ports.__new__(Ports)
        made.__dict__.update({**kept, **overrides})
        return made

    @classmethod
    def parts(cls) -> tuple[str, ...]:
        """The name of every part: the three given ones, then each repository and adapter."""
        built = (name for name, value in vars(cls).items() if isinstance(value, functools.cached_property))
        return ("settings", "table", "clock", *built)

    def __repr__(self) -> str:
        return f"<Ports {self.settings.stage}: built {sorted(set(self.__dict__) - {'settings', 'table', 'clock'})}>"

    if TYPE_CHECKING:  # set by __init__; declared for mypy
        settings: Settings
        table: Table  # commits the use cases' transactions; purpose-limited repositories are built over it
        clock: Clock

    # Repositories: one import each, inside, so the import contracts see every edge and a
    # request loads only the modules of what it uses.
    @functools.cached_property
    def accounts(self) -> AccountRepository:
        from shared.store.accounts import AccountRepository

        return AccountRepository(self.table)

    @functools.cached_property
    def sign_in(self) -> SignInRepository:
        from shared.store.sign_in import SignInRepository

        return SignInRepository(self.table)

    @functools.cached_property
    def outbox(self) -> MailRepository:
        """Mail jobs and the delivery suppression data the sender re-checks."""
        from shared.store.mail import MailRepository

        return MailRepository(self.table)

    @functools.cached_property
    def campaigns(self) -> CampaignRepository:
        from shared.store.campaigns import CampaignRepository

        return CampaignRepository(self.table)

    @functools.cached_property
    def commerce(self) -> CommerceRepository:
        from shared.store.commerce import CommerceRepository

        return CommerceRepository(self.table)

    @functools.cached_property
    def audit(self) -> AuditRepository:
        from shared.store.audit import AuditRepository

        return AuditRepository(self.table)

    @functools.cached_property
    def questions(self) -> QuestionRepository:
        from shared.store.questions import QuestionRepository

        return QuestionRepository(self.table)

    @functools.cached_property
    def surveys(self) -> SurveyRepository:
        from shared.store.surveys import SurveyRepository

        return SurveyRepository(self.table)

    @functools.cached_property
    def notices(self) -> NoticeRepository:
        from shared.store.notices import NoticeRepository

        return NoticeRepository(self.table)

    @functools.cached_property
    def access(self) -> AccessRepository:
        """P23: anonymous page-request counters (country, browser family, OS family, hour)."""
        from shared.store.access import AccessRepository

        return AccessRepository(self.table)

    # Adapters: the stage's real ones unless given.
    @functools.cached_property
    def mailer(self) -> Mailer:
        from shared.mail.ses import SesMailer

        return SesMailer(self.settings.sender_address, self.settings.configuration_set)

    @functools.cached_property
    def pin_vault(self) -> PinVault:
        from shared.pins import KmsPinVault

        return KmsPinVault(self.settings.pin_key_alias, self.settings.pin_mac_key_alias)

    @functools.cached_property
    def dead_letters(self) -> DeadLetters:
        from shared.mail.dead_letters import SqsDeadLetters

        return SqsDeadLetters(self.settings.mail_dead_letter_queue)

    @functools.cached_property
    def processor(self) -> CardProcessor:
        if self.settings.processor == "sandbox":
            from shared.processor.sandbox import SandboxProcessor
            from shared.store.sandbox import SandboxSessionRepository

            return SandboxProcessor(self.settings.base_url, SandboxSessionRepository(self.table),
                                    self.settings.webhook_secret)
        from shared.processor.stripe_checkout import StripeCheckout

        return StripeCheckout(self.settings.processor_api_key, self.settings.base_url, self.settings.webhook_secret)


@functools.cache
def process_ports() -> Ports:
    """The stage's ports, built on first use and kept for the container's life (the SnapStart
    restore hook clears it, with the settings)."""
    from shared.settings import get_settings
    from shared.store.table import DynamoTable

    settings = get_settings()
    return Ports(settings, DynamoTable(settings.table_name))
