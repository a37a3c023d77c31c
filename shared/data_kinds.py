"""Every kind of item the table holds, and what the store does with it (P04, P15, P28).

One row per kind: what it holds, why, for how long, how it is deleted, and whether a
person's export shows it. The export (`functions.accounts.export`, also behind
`ops_dispute_lookup`) lists the data of each kind classified `EXPORT` under its section and
names every kind about a person, listed or not, with its retention. `docs/data.md` is this
table rendered (`python -m shared.data_kinds`); tests check that the doc, the export and the
item types the repositories write all agree with it, so a new kind fails them until it is
classified here.

A kind is the item's `type` attribute; items written without one have the names given
below (`audience_member`, the counters).
"""
from __future__ import annotations

from dataclasses import dataclass

EXPORT = "export"  # about the person, and listed in their export under `section`
NAMED = "named"  # about the person, named in the export with its retention, its items not listed (`note`: why)
DISPUTE = "dispute lookup"  # listed by ops_dispute_lookup only (`note`: why not in the customer's own export)
NOT_PERSONAL = "no"  # not about a person (`note`: why)


@dataclass(frozen=True)
class Kind:
    name: str
    holds: str
    why: str
    kept: str
    deleted: str
    shown: str  # EXPORT, NAMED, DISPUTE or NOT_PERSONAL
    section: str = ""  # the export's key that lists it (EXPORT and DISPUTE)
    note: str = ""

    @property
    def about_a_person(self) -> bool:
        return self.shown != NOT_PERSONAL


_ACCOUNT_LIFE = ("while the account exists; a never-confirmed one 7 days after its last confirm link; "
                 "a deactivated one is kept for disputes (P28)")
_NEVER_CONFIRMED = "the daily purge of never-confirmed signups; otherwise not deleted"
_TTL = "DynamoDB TTL on `expires_at` (reads treat it as gone from then)"

KINDS: tuple[Kind, ...] = (
    # -- the account --------------------------------------------------------------------------
    Kind("account", "address, name, status, signup and deactivation times, policy version seen, link generation",
         "the account itself (P04)", _ACCOUNT_LIFE, _NEVER_CONFIRMED, EXPORT, "profile"),
    Kind("email_lookup", "the address's keyed hash and the account id it belongs to",
         "finding the account of an address without storing the address in a key", _ACCOUNT_LIFE,
         "with the account's purge; moved on an address change", EXPORT, "profile"),
    Kind("preferences", "each promotional topic on or off", "which mail the customer wants (P02, P03)",
         _ACCOUNT_LIFE, _NEVER_CONFIRMED, EXPORT, "preferences"),
    Kind("consent_event", "each change of topics: when, which, through which door",
         "proof of consent (P13)", _ACCOUNT_LIFE, _NEVER_CONFIRMED, EXPORT, "consent_history"),
    Kind("audience_member", "an account id in a topic's audience",
         "the campaign audience of an opted-in, active account", "while the topic is on and the account active",
         "when the topic goes off or the account is deactivated", EXPORT, "audiences"),
    # -- signing in ---------------------------------------------------------------------------
    Kind("login_token", "the SHA-256 of a mailed link's token, its account, purpose and expiry",
         "single-use sign-in, confirm and address-change links",
         "until used or expired: 15 minutes (sign-in), 24 hours (address change), 7 days (confirm)",
         "when used; " + _TTL, NAMED,
         note="found only by the token, which exists only in the mail that carries it"),
    Kind("session", "the SHA-256 of the session cookie's token, its account, start and expiry",
         "keeping a browser signed in", "12 hours",
         "sign-out, deactivation, an address change; " + _TTL, EXPORT, "sessions"),
    Kind("email_change", "the new address asked for, its keyed hash and expiry",
         "an address change waits for the link sent to the new address (P04)", "24 hours",
         "when confirmed or replaced; " + _TTL, EXPORT, "pending_email_change"),
    Kind("email_change_counter", "an account's address-change requests in one hour (a count)",
         "the hourly cap on address changes", "2 hours", _TTL, NAMED,
         note="a count for the current hour, read only by the cap"),
    Kind("link_mail_counter", "mails to an unproven address's keyed hash in one hour (a count)",
         "the hourly cap on mail to addresses that have not proven themselves", "2 hours", _TTL, NAMED,
         note="a count for the current hour, read only by the cap"),
    # -- mail ---------------------------------------------------------------------------------
    Kind("mail_job", "one mail to send: kind, template, account id, template values, an address only where the "
         "mail goes to one that is not the account's own (an address change; dropped when the job finishes), "
         "status and attempts",
         "the outbox: mail lands with the change that causes it and is re-checked when sent",
         "until sent, then 30 days", _TTL + " 30 days after the job finished", NAMED,
         note="jobs are found by their id only; the table has no index of them by person yet"),
    Kind("suppression", "an address's keyed hash and why it gets no mail (hard bounce, complaint, repeated "
         "soft bounces), since when", "never mailing an address that bounced or complained",
         "hard bounce and complaint: until an operator lifts it; repeated soft bounces: 30 days",
         "ops_unsuppress; " + _TTL, EXPORT, "suppression"),
    Kind("soft_bounce_counter", "an address's keyed hash and its recent transient bounces (a count)",
         "suppressing an address that keeps bouncing", "the bounce window",
         "ops_unsuppress; " + _TTL, NAMED, note="a count read only when the next bounce arrives"),
    Kind("forgotten_friend", "a mailbox's keyed hash and when it asked to be forgotten",
         "never inviting that mailbox again (P09)", "for good (a hash only)", "not deleted", EXPORT,
         "forgotten_as_friend"),
    Kind("campaign", "a campaign's subject and text", "stored once for all its mail jobs", "90 days", _TTL,
         NOT_PERSONAL, note="the same message for every recipient"),
    # -- the shop -----------------------------------------------------------------------------
    Kind("order", "lines, amount, status, times (created, paid), the PINs allocated, attempts to pay, "
         "the processor sessions", "selling and delivering calling cards (P10)",
         "not deleted: the financial record of a sale", "not deleted", EXPORT, "orders"),
    Kind("order_code", "a short order code and its order id", "finding an order by the code on its receipt",
         "with the order", "not deleted", EXPORT, "orders"),
    Kind("awaiting_stock", "a paid order's id and the SKU it waits for", "delivering it when stock arrives",
         "until the order is fulfilled", "at fulfilment", EXPORT, "orders",
         note="shown as the order's status"),
    Kind("idempotency", "a checkout's key hash (per account), its body's hash and the answer given",
         "the same checkout key and body give the same order", "24 hours", _TTL, NAMED,
         note="found only with the key the browser sent"),
    Kind("checkout_session", "a processor session id, its order, account, amount and lines",
         "matching the processor's callbacks to the order", "with the order", "not deleted", EXPORT,
         "checkout_sessions", note="the order's current and paying sessions; an earlier attempt's is named by "
         "the processor only"),
    Kind("payment_exception", "a session that paid an order already paid: amount, refund and its outcome",
         "refunding a payment the store did not need (P10)", "not deleted: a financial record", "not deleted",
         EXPORT, "payment_exceptions"),
    Kind("pin", "a KMS-encrypted PIN, its SKU and dialing instructions; once sold, the order it went to",
         "stock and delivery (P27)", "not deleted", "not deleted", EXPORT, "pins",
         note="the PINs of the person's orders, by reference (the PIN itself is on the order's page)"),
    Kind("pin_marker", "the KMS MAC of (SKU, PIN) and the PIN's id", "importing a PIN once ever",
         "not deleted", "not deleted", NOT_PERSONAL, note="stock bookkeeping"),
    Kind("cart", "a random cart id from a cookie and SKUs with quantities", "the shopping cart (P20, P21)",
         "24 hours", _TTL, NOT_PERSONAL, note="tied to a browser's cookie, never to an account or address"),
    Kind("sandbox_session", "the local stage's stand-in for the card processor's session",
         "paying on the local stage", "while the local stage runs", "with the local stage", NOT_PERSONAL,
         note="exists only on the local stage, never deployed"),
    # -- Tell-A-Friend ------------------------------------------------------------------------
    Kind("invitation", "a friend mailbox's keyed hash, the referral that caused its one invitation, its status",
         "one invitation per mailbox ever (P06, P07)", "for good (a hash only)", "not deleted", EXPORT, "referrals",
         note="shown as the status of the customer's referral"),
    Kind("referral", "a customer's referral of a mailbox (its keyed hash), when, its status",
         "the customer's own list of referrals and the program's counts (P08)", "for good", "not deleted",
         EXPORT, "referrals"),
    Kind("friend_address", "the friend's address", "sending the one invitation (P07)",
         "until sent, joined, forgotten or 30 days", "the daily friend-data purge; forget-me (P09); " + _TTL,
         NOT_PERSONAL, note="about the friend, who has no account: never shown to the referrer (P08); the friend "
         "erases it with the forget-me link (P09)"),
    Kind("referrer_counts", "a referrer's counts: referrals, invitations, joined",
         "the referral report, from counters alone", "for good", "not deleted", NAMED,
         note="its referrals and joined are the `referrals` listed; how many sent an invitation is not shown, "
         "since it would tell whether a friend had been invited before (P08)"),
    Kind("referrer_cap", "a referrer's referrals in one day or ISO week (a count)",
         "the daily and weekly referral caps", "the day or the week", _TTL, NAMED,
         note="a count for the current day or week, read only by the cap"),
    # -- surveys and contests -----------------------------------------------------------------
    Kind("survey", "a survey's or contest's definition, its draw commitment and entry count",
         "running surveys and contests (P14)", "not deleted", "not deleted", NOT_PERSONAL,
         note="the same for every visitor"),
    Kind("survey_response", "one submission's answers", "the survey's results (P14)",
         "the survey's stated retention from the submission", _TTL + "; the daily retention purge",
         NOT_PERSONAL, note="stored under an id nothing links to a person or an entry"),
    Kind("draw_seed", "a contest's random seed nonce", "a draw anyone can re-check (P15)", "not deleted",
         "not deleted", NOT_PERSONAL, note="a random number"),
    Kind("contest_entry_ids", "a closed contest's confirmed entry ids", "a draw anyone can re-check (P15)",
         "not deleted", "not deleted", NOT_PERSONAL, note="random ids; which one is the person's is in their entry"),
    Kind("contest_draw", "a contest's draw: seed, winning entry ids, purge time", "the public record of the draw",
         "not deleted", "not deleted", NOT_PERSONAL, note="random ids; which one is the person's is in their entry"),
    Kind("contest_entrant", "the address as typed and its keyed hashes, the random entry id, once confirmed "
         "name, shipping address and zip", "confirming the entry, notifying winners, awarding prizes (P15)",
         "pending: 72 hours (its link); confirmed: the contest's stated retention after its close",
         "the daily contest purge (pending ones when their link expires, confirmed ones at the contest's "
         "retention); " + _TTL, EXPORT, "contest_entries"),
    Kind("contest_entrant_index", "a contest entry's exact address hash, mailbox key and entry id",
         "finding a person's own entries by the exact address for their export", "as long as its entry",
         "with its entry; " + _TTL, EXPORT, "contest_entries"),
    Kind("contest_confirmation_link", "the SHA-256 of a confirmation link's token, its entry and expiry",
         "confirming an entry from its mailbox (P15)", "72 hours", "when used; the daily contest purge; " + _TTL,
         EXPORT, "contest_entries", note="shown as the entry's pending status and expiry"),
    # -- the contact form ---------------------------------------------------------------------
    Kind("contact_question", "the address as typed, its keyed hash and the question's text",
         "answering the question (P12)", "90 days", _TTL, EXPORT, "contact_questions"),
    Kind("contact_question_index", "a question's id and the asker's address hash",
         "finding a person's own questions for their export", "90 days, with its question", _TTL, EXPORT,
         "contact_questions"),
    # -- operators, policy, statistics --------------------------------------------------------
    Kind("audit", "which operator function ran, when, on which account id or address hash, with the reason "
         "given, redacted", "accountability of operators", "1 year", _TTL, NOT_PERSONAL,
         note="the operators' record of their own actions: it names an account by id or an address by its keyed "
         "hash, never their data"),
    Kind("disclosure", "a legal disclosure of an account's data: to whom, on what legal basis, which fields",
         "the record P18 requires", "for good (P18)", "never deleted", DISPUTE, "legal_disclosures",
         note="a disclosure the law requires may have to stay confidential from the person it concerns"),
    Kind("policy_version", "a published privacy policy's text and dates", "notice of changes (P25)", "for good",
         "not deleted", NOT_PERSONAL, note="the same for everyone"),
    Kind("notice", "a home-page notice's text and dates", "notice of changes (P25, P26)", "for good",
         "not deleted", NOT_PERSONAL, note="the same for everyone"),
    Kind("access_counter", "page requests in one hour per country, browser family and OS family (a count)",
         "anonymous access trends (P23)", "for good", "not deleted", NOT_PERSONAL,
         note="counts only: no address, account, path or User-Agent"),
)

BY_NAME = {kind.name: kind for kind in KINDS}
ABOUT_A_PERSON = tuple(kind for kind in KINDS if kind.about_a_person)


def kind(name: str) -> Kind:
    return BY_NAME[name]


def _cell(text: str) -> str:
    return text.replace("|", "\\|")


def shown_in(entry: Kind) -> str:
    """The table's last column: where a person sees the kind, or why they do not."""
    if entry.shown == EXPORT:
        return f"yes: `{entry.section}`" + (f" ({entry.note})" if entry.note else "")
    if entry.shown == NAMED:
        return f"named with its retention, not listed: {entry.note}"
    if entry.shown == DISPUTE:
        return f"ops_dispute_lookup only (`{entry.section}`): {entry.note}"
    return f"no, not about a person: {entry.note}"


TABLE_HEADER = ("| Item | What it holds | Why | How long | How it is deleted | In the export |\n"
                "|---|---|---|---|---|---|")


def table_rows() -> list[str]:
    return [f"| `{k.name}` | {_cell(k.holds)} | {_cell(k.why)} | {_cell(k.kept)} | {_cell(k.deleted)} | "
            f"{_cell(shown_in(k))} |" for k in KINDS]


def markdown_table() -> str:
    """The table docs/data.md carries, one row per kind in the order above."""
    return "\n".join([TABLE_HEADER, *table_rows()])


if __name__ == "__main__":
    print(markdown_table())
