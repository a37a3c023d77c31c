"""My Account in Debian Chromium: sign in from the mail link, change preferences on the
page, see the change; and with cookies refused, the public pages still work (P22)."""
from __future__ import annotations

from tests.e2e.test_browser import WELCOME, link, preferences


def signed_in_page(local_stage, page, person, promotions=True):
    local_stage.post_json("/signup", {"email": person.email, "name": person.name, "promotions": promotions})
    welcome = local_stage.wait_for_mail(person.email, WELCOME)
    page.goto(link(welcome["text"], "/login/"))
    page.fill("input[name=name]", person.name)
    if promotions:  # P02: ticked by the person holding the link, never by the signup
        page.check("input[name=newsletter]")
        page.check("input[name=promotions]")
    page.click("button:has-text('Continue')")
    page.wait_for_selector("h1:has-text('My Account')")


def test_p03_sign_in_from_the_mail_link_and_switch_a_topic_off_on_the_preferences_page(local_stage, page, person):
    signed_in_page(local_stage, page, person)
    local_stage.post_json("/login", {"email": person.email})
    sign_in_mail = local_stage.wait_for_mail(person.email, "sign-in link")
    page.context.clear_cookies()
    page.goto(link(sign_in_mail["text"], "/login/"))
    page.click("button:has-text('Continue')")
    page.wait_for_selector("h1:has-text('My Account')")
    cookie = next(c for c in page.context.cookies() if c["name"] == "__Host-session")
    assert cookie["httpOnly"] and cookie["secure"] and cookie["sameSite"] == "Lax" and cookie["expires"] == -1  # P21

    page.click("text=Email Preferences")
    assert page.is_checked("input[name=newsletter]") and page.is_checked("input[name=promotions]")
    page.uncheck("input[name=newsletter]")
    page.click("button[value=save]")
    page.wait_for_selector("#message:has-text('Saved')")
    page.reload()
    assert not page.is_checked("input[name=newsletter]") and page.is_checked("input[name=promotions]")
    assert preferences(local_stage, person.email) == {"newsletter": False, "promotions": True}


def test_p04_change_name_on_the_account_information_page(local_stage, page, make_person):
    person = make_person()
    signed_in_page(local_stage, page, person)
    page.click("text=Account Information")
    page.fill("input[name=name]", person.name + " Second")
    page.click("button:has-text('Save')")
    page.wait_for_selector("#message:has-text('Saved')")
    page.goto(local_stage.url("/account"))
    assert person.name + " Second" in page.inner_text("body")


def test_p22_with_cookies_refused_the_public_pages_and_signup_still_work(local_stage, browser, make_person):
    context = browser.new_context()

    def refuse_cookies(route):
        headers = {k: v for k, v in route.request.headers.items() if k.lower() != "cookie"}
        response = route.fetch(headers=headers)
        route.fulfill(response=response, headers={k: v for k, v in response.headers.items() if k.lower() != "set-cookie"})

    context.route("**/*", refuse_cookies)
    page = context.new_page()
    try:
        page.goto(local_stage.url("/"))
        assert page.inner_text("h1") == "Calling cards, delivered by email"
        page.goto(local_stage.url("/privacy"))
        assert "Version 1" in page.inner_text("body")
        person = make_person()
        page.goto(local_stage.url("/"))
        page.fill("#signup-form input[name=email]", person.email)
        page.click("#signup-form button[type=submit]")
        page.wait_for_selector("h1:has-text('Check your email')")
        welcome = local_stage.wait_for_mail(person.email, WELCOME)
        page.goto(link(welcome["text"], "/unsubscribe/"))
        page.click("button[value=link]")
        page.wait_for_selector("h1:has-text('You are unsubscribed')")
        page.goto(local_stage.url("/my-account"))  # the account needs its cookie: the sign-in page says so
        assert page.inner_text("h1") == "Sign in"
        assert context.cookies() == []
    finally:
        context.close()


def test_p04_a_replaced_address_change_link_neither_changes_the_address_nor_signs_anyone_in(
        local_stage, browser, page, make_person):
    person, mistyped, right = make_person(), make_person(), make_person()
    signed_in_page(local_stage, page, person)
    for address in (mistyped.email, right.email):  # a typo, then the correction
        page.goto(local_stage.url("/my-account/info"))
        page.fill("input[name=email]", address)
        page.click("button:has-text('Save')")
        page.wait_for_selector("#message:has-text('Saved')")
    stale = local_stage.wait_for_mail(mistyped.email, "Confirm your new address")
    fresh = local_stage.wait_for_mail(right.email, "Confirm your new address")

    stranger = browser.new_context()  # whoever holds the mistyped address's mail
    try:
        other = stranger.new_page()
        other.goto(link(stale["text"], "/login/"))
        other.click("button:has-text('Continue')")
        other.wait_for_selector("h1:has-text('Something is not right')")
        assert not [c for c in stranger.cookies() if c["name"] == "__Host-session"]
    finally:
        stranger.close()
    page.goto(local_stage.url("/my-account/info"))
    assert page.input_value("input[name=email]") == person.email

    page.goto(link(fresh["text"], "/login/"))
    page.click("button:has-text('Continue')")
    page.wait_for_selector("h1:has-text('Your new address is confirmed')")
    page.goto(local_stage.url("/my-account/info"))  # the owner's own session carried on
    assert page.input_value("input[name=email]") == right.email
