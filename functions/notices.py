"""Policy versions and notices (P25, P26): a material policy change and a business transition
are emailed to every active account once and shown on the home page; a customer who has
not seen a material change is told on My Account until they dismiss it."""
from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from functions.campaigns import AnnouncementInput, send_service_announcement
from shared import policy
from shared.errors import InvalidInput
from shared.ids import new_id
from shared.ports import Ports
from shared.store.accounts import Account
from shared.store.notices import Notice, PublishedVersion

NOTICE_DAYS = 30  # P26: a business transition is shown for exactly 30 days; a policy change as long
DAY = 24 * 3600


class PublishPolicyInput(BaseModel):
    model_config = ConfigDict(extra="forbid")

    version: int = Field(ge=2)
    text_markdown: Annotated[str, StringConstraints(strip_whitespace=True, min_length=20, max_length=100_000)]
    material: bool


class PostNoticeInput(BaseModel):
    model_config = ConfigDict(extra="forbid")

    kind: Literal["business_transition"]
    text: Annotated[str, StringConstraints(strip_whitespace=True, min_length=10, max_length=2000)]


def versions(ports: Ports) -> list[policy.PolicyVersion]:
    """The bundled versions, then the published ones, oldest first."""
    published = [policy.PolicyVersion(v.version, v.effective, v.material, markdown=v.text_markdown,
                                      published_at=v.published_at) for v in ports.notices.versions()]
    return [*policy.all_versions(), *published]


def current(ports: Ports) -> policy.PolicyVersion:
    return versions(ports)[-1]


def _announce(announcement_id: str, subject: str, text: str, ports: Ports) -> dict[str, Any]:
    """Service mail to every active account, once: the campaign fan-out, resumable by id."""
    return send_service_announcement(AnnouncementInput(announcement_id=announcement_id, subject=subject, text=text),
                                     ports)


def _post(kind: str, text: str, link: str | None, ports: Ports, notice_id: str) -> Notice:
    now = ports.clock.now()
    notice = Notice(notice_id, kind, text, ports.clock.iso(now), ports.clock.iso(now + NOTICE_DAYS * DAY), link)
    ports.notices.put_notice(notice)
    return notice


def publish_policy(payload: PublishPolicyInput, ports: Ports) -> dict[str, Any]:
    latest = current(ports).version
    if payload.version <= latest:
        raise InvalidInput(f"version: must be newer than the current version {latest}")
    published_at = ports.clock.iso()
    effective = published_at[:10]
    if not ports.notices.put_version(PublishedVersion(payload.version, effective, payload.material,
                                                      payload.text_markdown, published_at)):
        raise InvalidInput(f"version: {payload.version} was published meanwhile")
    result: dict[str, Any] = {"version": payload.version, "effective": effective, "material": payload.material}
    if payload.material:
        notice_id = f"policy-v{payload.version:03d}"
        _post("policy_change", f"Our privacy policy changed on {effective}. Please read what changed.", "/privacy",
              ports, notice_id)
        result["mail"] = _announce(notice_id, "Our privacy policy has changed",
                                   f"We changed our privacy policy on {effective}. The new version is at "
                                   f"{ports.settings.base_url}/privacy; My Account shows it until you have seen it.",
                                   ports)
    return result


def post_notice(payload: PostNoticeInput, ports: Ports) -> dict[str, Any]:
    notice = _post(payload.kind, payload.text, None, ports, f"notice-{new_id()}")
    mail = _announce(notice.notice_id, "An important notice about the Calling Card Store", payload.text, ports)
    return {"notice_id": notice.notice_id, "shown_until": notice.until, "mail": mail}


def home_notices(ports: Ports, hidden: frozenset[str] = frozenset()) -> list[Notice]:
    """Notices shown now, newest first: each until its time is up, checked on every read,
    less those this browser chose to hide (the display cookie)."""
    now = ports.clock.iso()
    since = ports.clock.iso(ports.clock.now() - NOTICE_DAYS * DAY - DAY)
    shown = [n for n in ports.notices.posted_since(since) if n.until > now and n.notice_id not in hidden]
    return sorted(shown, key=lambda n: n.posted_at, reverse=True)


def unseen_material_change(account: Account, ports: Ports) -> policy.PolicyVersion | None:
    """The newest material version this customer has not accepted, if any: one published
    after they signed up (they read the current version then)."""
    material = [v for v in versions(ports) if v.material and v.version > account.policy_version
                and v.published_at > account.created_at]
    return material[-1] if material else None


def accept(account: Account, version: int, ports: Ports) -> None:
    if version > current(ports).version:
        raise InvalidInput("version: there is no such policy version")
    ports.accounts.accept_policy(account.account_id, version)
