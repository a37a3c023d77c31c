"""A new customer's path in Debian Chromium against a real local stage: sign up on the home
page, receive the welcome mail, confirm the address, and unsubscribe from the mail's link."""
from __future__ import annotations

from urllib.parse import urlparse

from shared.ids import address_hash
from local_stage import emulator

WELCOME = "Welcome to the Calling Card Store"


def link(text: str, prefix: str) -> str:
    return next(w for w in text.split() if urlparse(w).path.startswith(prefix))


def preferences(local_stage, address: str) -> dict:
    key = emulator.stage_environment("local")["EMAIL_HASH_KEY"].encode()
    table = emulator.stage_environment("local")["TABLE_NAME"]
    dynamodb = local_stage.dynamodb()
    lookup = dynamodb.get_item(TableName=table, Key={"pk": {"S": f"EMAIL#{address_hash(address, key)}"}, "sk": {"S": "ACCOUNT"}})
    account_id = lookup["Item"]["account_id"]["S"]
    prefs = dynamodb.get_item(TableName=table, Key={"pk": {"S": f"ACCOUNT#{account_id}"}, "sk": {"S": "PREFS"}}, ConsistentRead=True)
    return {topic: value["BOOL"] for topic, value in prefs["Item"]["topics"]["M"].items()}


def test_p11_signup_on_the_home_page_sends_one_welcome_mail(local_stage, page, person):
    page.goto(local_stage.url("/"))
    page.fill("#signup-form input[name=email]", person.email)
    page.click("#signup-form button[type=submit]")
    page.wait_for_selector("h1:has-text('Check your email')")
    welcome = local_stage.wait_for_mail(person.email, WELCOME)
    assert welcome["headers"]["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert preferences(local_stage, person.email) == {"newsletter": False, "promotions": False}  # P02: none yet
    page.goto(link(welcome["text"], "/login/"))
    assert not page.is_checked("input[name=newsletter]") and not page.is_checked("input[name=promotions]")
    page.fill("input[name=name]", person.name)
    page.check("input[name=newsletter]")
    page.check("input[name=promotions]")
    page.click("button:has-text('Continue')")
    page.wait_for_selector("h1:has-text('My Account')")
    assert preferences(local_stage, person.email) == {"newsletter": True, "promotions": True}


def test_p12_unsubscribe_from_a_real_mail_in_the_browser(local_stage, page, person):
    status, answer = local_stage.post_json("/signup", {"email": person.email, "name": person.name, "promotions": True})
    assert (status, answer) == (202, {"status": "check_your_email"})
    welcome = local_stage.wait_for_mail(person.email, WELCOME)

    page.goto(link(welcome["text"], "/login/"))
    page.check("input[name=newsletter]")
    page.check("input[name=promotions]")
    page.click("button:has-text('Continue')")
    page.wait_for_selector("h1:has-text('My Account')")

    page.goto(link(welcome["text"], "/unsubscribe/"))
    assert page.inner_text("#stops") == "the newsletter and special offers"
    assert preferences(local_stage, person.email) == {"newsletter": True, "promotions": True}  # the GET changed nothing
    page.click("button[value=link]")
    page.wait_for_selector("h1:has-text('You are unsubscribed')")
    assert "every email we send from now on" in page.inner_text("#result")
    assert preferences(local_stage, person.email) == {"newsletter": False, "promotions": False}


def test_the_outbox_page_lists_mail_with_clickable_links(local_stage, page, person):
    local_stage.post_json("/signup", {"email": person.email, "name": person.name, "promotions": False})
    local_stage.wait_for_mail(person.email, WELCOME)
    page.goto(local_stage.url("/dev/outbox"))
    assert page.locator("article.mail").count() >= 1
    assert page.locator("article.mail a[href*='/login/']").count() >= 1


def test_a_path_no_route_matches_answers_the_contracts_404(local_stage):
    import json
    import urllib.error
    import urllib.request

    try:
        urllib.request.urlopen(local_stage.url("/no/such/page"), timeout=10)
        raise AssertionError("expected a 404")
    except urllib.error.HTTPError as error:
        assert error.code == 404
        assert json.loads(error.read())["error"]["code"] == "not_found"


def test_a_browser_gets_the_404_page(local_stage, page):
    answer = page.goto(local_stage.url("/no/such/page"))
    assert answer.status == 404 and page.inner_text("h1") == "Page not found"
    assert page.locator("header nav a[href='/shop']").count() == 1  # the way on is in the header
