"""Unsubscribe links (P03, P12): a page that changes nothing, a confirm and one-click post
that take effect at once for every later send, and tokens that cannot be forged."""
from __future__ import annotations

import json

import pytest

from shared.ids import new_id
from shared.store.mail import MailJob
from tests.integration.accounts_helpers import confirm_page_form
from tests.integration.conftest import deliver, link_path, mail_to
from tests.integration.test_signup import account_of, sign_up


def active_subscriber(http, ports, person, promotions=True):
    sign_up(http, person, promotions=promotions)
    deliver(ports)
    http.post_form(link_path(mail_to(person.email)[0]["text"], "/login/"), confirm_page_form(person, promotions))
    return account_of(ports, person.email)


def promotional_job(ports, account_id, topic="newsletter", subject="November news"):
    job = MailJob(
        job_id=new_id(), kind="promotional", template="campaign", created_at=ports.clock.iso(),
        account_id=account_id, topic=topic,
        context={"subject": subject, "body_text": "Cheaper minutes to Lisbon this month."},
    )
    ports.outbox.put_job(job)
    return job


def campaign_mail(ports, person, subject="November news"):
    return next(m for m in mail_to(person.email) if m["subject"] == subject)


def test_p03_promotional_mail_carries_rfc8058_headers_body_link_and_postal_address(http, ports, person):
    account = active_subscriber(http, ports, person)
    promotional_job(ports, account.account_id)
    deliver(ports)
    mail = campaign_mail(ports, person)
    header_url = mail["headers"]["List-Unsubscribe"].strip("<>")
    assert header_url.startswith(ports.settings.base_url + "/unsubscribe/")
    assert mail["headers"]["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert header_url in mail["text"] and header_url in mail["html"]
    assert ports.settings.postal_address in mail["text"]
    assert "Stop these emails" in mail["html"]


def test_p03_the_header_link_works_as_rfc8058_one_click(http, ports, person):
    account = active_subscriber(http, ports, person)
    promotional_job(ports, account.account_id)
    deliver(ports)
    path = link_path(campaign_mail(ports, person)["headers"]["List-Unsubscribe"].strip("<>"), "/unsubscribe/")
    response = http.post_form(path, "List-Unsubscribe=One-Click")
    assert response.status_code == 200
    assert "Location" not in response.headers
    topics = ports.accounts.preferences(account.account_id).topics
    assert topics == {"newsletter": False, "promotions": True}


def test_p12_one_click_multipart_body_is_accepted_without_cookies(http, ports, person):
    account = active_subscriber(http, ports, person)
    promotional_job(ports, account.account_id, topic="promotions", subject="Offer")
    deliver(ports)
    path = link_path(campaign_mail(ports, person, "Offer")["text"], "/unsubscribe/")
    boundary = "----cardstore"
    body = (f"--{boundary}\r\nContent-Disposition: form-data; name=\"List-Unsubscribe\"\r\n\r\n"
            f"One-Click\r\n--{boundary}--\r\n")
    response = http.post_form(path, body, content_type=f"multipart/form-data; boundary={boundary}")
    assert response.status_code == 200
    assert ports.accounts.preferences(account.account_id).topics["promotions"] is False
    assert not ports.accounts.in_audience("promotions", account.account_id)


def test_p12_unsubscribe_page_get_names_the_topics_and_changes_nothing(http, ports, person):
    account = active_subscriber(http, ports, person)
    path = link_path(mail_to(person.email)[-1]["text"], "/unsubscribe/")  # the welcome's all-topics link
    page = http.get(path)
    assert page.status_code == 200
    assert b"the newsletter and special offers" in page.body
    assert b"<form" in page.body and b"<button" in page.body
    assert page.headers["Referrer-Policy"] == "same-origin"
    assert ports.accounts.preferences(account.account_id).topics == {"newsletter": True, "promotions": True}


def test_p12_welcome_link_stops_every_topic_and_later_sends_are_skipped(http, ports, person):
    account = active_subscriber(http, ports, person)
    queued_before = promotional_job(ports, account.account_id, subject="Queued before")
    path = link_path(mail_to(person.email)[-1]["text"], "/unsubscribe/")
    assert http.post_form(path, "scope=link").status_code == 200
    promotional_job(ports, account.account_id, topic="promotions", subject="Queued after")
    outcomes = deliver(ports)
    assert outcomes.get("skipped:topic_off", 0) >= 2
    subjects = {m["subject"] for m in mail_to(person.email)}
    assert not subjects & {"Queued before", "Queued after"}
    assert ports.outbox.job(queued_before.job_id).status == "skipped"
    for topic in ("newsletter", "promotions"):
        assert not ports.accounts.in_audience(topic, account.account_id)


def test_p12_campaign_page_offers_stop_all(http, ports, person):
    account = active_subscriber(http, ports, person)
    promotional_job(ports, account.account_id)
    deliver(ports)
    path = link_path(campaign_mail(ports, person)["text"], "/unsubscribe/")
    assert b'value="all"' in http.get(path).body
    assert http.post_form(path, "scope=all").status_code == 200
    assert ports.accounts.preferences(account.account_id).topics == {"newsletter": False, "promotions": False}


def test_p12_unsubscribing_twice_is_idempotent_and_records_one_consent_event(http, ports, person):
    account = active_subscriber(http, ports, person)
    path = link_path(mail_to(person.email)[-1]["text"], "/unsubscribe/")
    first, second = http.post_form(path, "List-Unsubscribe=One-Click"), http.post_form(path, "List-Unsubscribe=One-Click")
    assert first.status_code == second.status_code == 200
    sources = sorted(event["source"] for event in ports.accounts.consent_history(account.account_id))
    assert sources == ["confirm_page", "one_click", "signup"]


@pytest.mark.parametrize("mangle", [lambda t: t[:-3], lambda t: t[:10], lambda t: "x" + t[1:], lambda t: t + "A"])
def test_p12_tampered_or_truncated_token_gets_a_4xx_page_and_changes_nothing(http, ports, person, mangle):
    account = active_subscriber(http, ports, person)
    path = link_path(mail_to(person.email)[-1]["text"], "/unsubscribe/")
    bad = "/unsubscribe/" + mangle(path.rsplit("/", 1)[1])
    for response in (http.get(bad), http.post_form(bad, "List-Unsubscribe=One-Click")):
        assert 400 <= response.status_code < 500
        assert response.headers["Content-Type"].startswith("text/html")
    assert ports.accounts.preferences(account.account_id).topics == {"newsletter": True, "promotions": True}


def test_a_token_signed_with_an_unknown_key_is_refused(http, ports, person):
    from shared import tokens

    account = active_subscriber(http, ports, person)
    forged = tokens.sign(["not-our-key"], tokens.UNSUBSCRIBE, {"a": account.account_id, "t": ["newsletter"]})
    assert http.post_form(f"/unsubscribe/{forged}", "List-Unsubscribe=One-Click").status_code == 400
    assert ports.accounts.preferences(account.account_id).topics["newsletter"] is True


def test_promotional_mail_never_goes_to_a_pending_account(http, ports, person):
    sign_up(http, person, promotions=True)
    account = account_of(ports, person.email)
    job = promotional_job(ports, account.account_id)
    deliver(ports)
    assert ports.outbox.job(job.job_id).status == "skipped"
    assert all(m["subject"] != "November news" for m in mail_to(person.email))


def test_unsubscribe_token_carries_only_an_id_and_topic_names(http, ports, person):
    import base64

    account = active_subscriber(http, ports, person)
    token = link_path(mail_to(person.email)[-1]["text"], "/unsubscribe/").rsplit("/", 1)[1]
    payload = token.split(".")[0]
    decoded = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    assert decoded == {"a": account.account_id, "t": ["newsletter", "promotions"]}


def test_p12_the_done_page_says_in_plain_words_what_stopped_one_topic_or_two(http, ports, person):
    account = active_subscriber(http, ports, person)
    promotional_job(ports, account.account_id)
    deliver(ports)
    newsletter_link = link_path(campaign_mail(ports, person)["text"], "/unsubscribe/")
    one = http.post_form(newsletter_link, "scope=link")
    assert b"You will no longer get the newsletter. This applies" in one.body
    welcome_link = link_path(mail_to(person.email)[-1]["text"], "/unsubscribe/")
    both = http.post_form(welcome_link, "scope=link")
    assert b"You will no longer get the newsletter or special offers." in both.body
    stop_all = http.post_form(newsletter_link, "scope=all")
    assert b"You will no longer get the newsletter or special offers." in stop_all.body
    for page in (one, both, stop_all):
        assert b"no more" not in page.body and person.email.encode() not in page.body
        assert b"/my-account/email-preferences" in page.body  # switching back on: signed in, there only


def test_p12_a_forwarded_link_shows_no_address_and_no_other_topics_state(http, ports, make_person):
    """Two readers whose special offers differ see the same newsletter link page, but for the
    token, and neither address: the page names what the link stops and offers "stop all"."""
    from functions.consent import stop_topics

    pages = []
    for offers in (True, False):
        person = make_person()
        account = active_subscriber(http, ports, person)
        if not offers:
            stop_topics(account.account_id, ["promotions"], "preferences_page", ports)
        promotional_job(ports, account.account_id)
        deliver(ports)
        path = link_path(campaign_mail(ports, person)["text"], "/unsubscribe/")
        page = http.get(path)
        assert person.email.encode() not in page.body and person.email.split("@")[0].encode() not in page.body
        assert b'<strong id="stops">the newsletter</strong>' in page.body
        assert b'name="scope" value="all">Stop all: the newsletter and special offers</button>' in page.body
        pages.append(page.body.replace(path.encode(), b"TOKEN"))
    assert pages[0] == pages[1]


def test_pages_and_mail_take_the_topics_words_from_one_place():
    from chalicelib.pages import TOPIC_LABELS
    from shared.mail import topics
    from shared.models import ALL_TOPICS

    assert TOPIC_LABELS is topics.TOPIC_LABELS
    assert tuple(topics.TOPIC_WORDS) == tuple(topics.TOPIC_LABELS) == ALL_TOPICS
    assert topics.topics_text(["promotions", "newsletter"]) == "the newsletter and special offers"
    assert topics.topics_text(["promotions"], "or") == "special offers"


def test_p12_only_unsubscribing_and_the_invitations_forget_me_ride_the_one_click_exemption():
    """RFC 8058 posts come from mail providers with no Origin; every other token route needs
    a post from our own pages."""
    from chalicelib.http import ONE_CLICK_PATHS, TOKEN_AUTHORITY_PATHS

    assert ONE_CLICK_PATHS == {"/unsubscribe/{token}", "/friends/forget/{token}"}
    assert ONE_CLICK_PATHS <= TOKEN_AUTHORITY_PATHS


def test_a_one_click_body_opens_no_other_token_route(http, ports, person):
    active_subscriber(http, ports, person)
    http.post_json("/login", {"email": person.email})
    deliver(ports)
    sign_in = link_path(mail_to(person.email)[0]["text"], "/login/")
    refused = http.client.http.post(sign_in, body="List-Unsubscribe=One-Click",
                                    headers={"Content-Type": "application/x-www-form-urlencoded"})
    assert refused.status_code == 403 and "Set-Cookie" not in refused.headers
