"""Which feature re-checks and composes each mail, by the job's template: the one module
that imports them all. The edges (the event handlers, the local driver, the tests) hand
`MAIL_HANDLERS` to the sender, which itself imports no feature."""
from __future__ import annotations

from functions import campaigns, contests, email_change, one_time_links, orders, referrals, signup
from functions.mail_compose import MailHandlers, handlers_by_template

MAIL_HANDLERS: MailHandlers = handlers_by_template(
    signup.MAIL,  # welcome, with the confirm link
    one_time_links.MAIL,  # confirm and sign-in links, and a signup again
    email_change.MAIL,
    orders.MAIL,  # the PIN mail (P10)
    campaigns.MAIL,  # campaigns (P02, P03), service announcements and notices (P05, P25, P26)
    referrals.MAIL,  # invitations (P06-P09)
    contests.MAIL,  # winners (P15)
)
