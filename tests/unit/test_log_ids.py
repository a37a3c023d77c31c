"""P27: the sender's log lines name a mail job by its own random id. A campaign job's key is
`<campaign>.<account id>` (so a re-run queues only what is missing); logged, it would tie
each outcome, `skipped:suppressed:complaint` among them, to an account for as long as the
logs are kept."""
from __future__ import annotations

from functions import mail_feedback, mail_outbox
from functions.campaigns import CampaignInput, send_campaign
from functions.fan_out import job_id_for
from functions.mail_handlers import MAIL_HANDLERS
from tests import conftest
from tests.unit.people import subscriber


def _complaint(address: str) -> dict:
    return {"notificationType": "Complaint",
            "complaint": {"complainedRecipients": [{"emailAddress": address}], "complaintFeedbackType": "abuse"}}


def test_p27_a_campaigns_log_lines_name_no_account(ports, mailer):
    readers = [subscriber(ports, n) for n in range(1, 4)]
    mail_outbox.sweep(ports, MAIL_HANDLERS)  # their sign-up mail, before the capture starts
    start = len(conftest.LOG_CAPTURE.getvalue())
    campaign = send_campaign(CampaignInput(topic="newsletter", subject="News", text="Hello"), ports)
    mail_feedback.handle_notification(_complaint(readers[0].email), ports)  # after the fan-out, before sending
    outcomes = mail_outbox.sweep(ports, MAIL_HANDLERS)
    assert outcomes == {"sent": 2, "skipped:suppressed:complaint": 1}
    logged = conftest.LOG_CAPTURE.getvalue()[start:]
    assert logged.count("mail job finished") == 3 and "skipped:suppressed:complaint" in logged
    for reader in readers:
        assert reader.account_id not in logged
        assert job_id_for(campaign["campaign_id"], reader.account_id) not in logged


def test_a_rerun_campaign_still_queues_only_what_is_missing(ports, mailer):
    """The job key stays deterministic: the log id is beside it, not instead of it."""
    [subscriber(ports, n) for n in range(1, 3)]
    first = send_campaign(CampaignInput(topic="newsletter", subject="News", text="Hello"), ports)
    again = send_campaign(CampaignInput(campaign_id=first["campaign_id"], topic="newsletter", subject="News",
                                        text="Hello"), ports)
    assert (first["queued"], again["queued"], again["already_queued"]) == (2, 0, 2)
