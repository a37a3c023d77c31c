"""Notices in Debian Chromium (P21, P25, P26): the home page shows a business-transition
notice, a customer hides it and dismisses the My Account policy notice; after the browser
restarts, the notice stays hidden (the persistent display cookie) and the policy notice
dismissed (recorded on the account), while the cart, a session cookie, is gone."""
from __future__ import annotations

import json
import urllib.request

from tests.e2e.test_browser import link
from tests.e2e.test_browser_accounts import signed_in_page
from tests.e2e.test_browser_shop import add_to_cart


def test_p25_p26_notices_stay_hidden_across_a_browser_restart_while_the_cart_does_not(local_stage, browser,
                                                                                      make_person):
    person = make_person()
    local_stage.ops("ops_post_notice", {"kind": "business_transition",
                                        "text": "The Calling Card Store joins Example Telecom on 1 March."})
    before = browser.new_context()
    page = before.new_page()
    signed_in_page(local_stage, page, person)
    with urllib.request.urlopen(local_stage.url("/privacy.json"), timeout=10) as answer:
        newer = json.loads(answer.read())["versions"][-1]["version"] + 1
    local_stage.ops("ops_publish_policy", {"version": newer, "material": True,
                                           "text_markdown": f"# Version {newer}\n\nWhat changed, in plain words."})
    page.goto(local_stage.url("/my-account"))
    page.wait_for_selector("#policy-notice")
    page.click("button:has-text('I have read it')")
    page.wait_for_selector("h1:has-text('My Account')")
    assert page.locator("#policy-notice").count() == 0

    page.goto(local_stage.url("/shop"))
    add_to_cart(page, "MX-10")
    page.goto(local_stage.url("/"))
    page.wait_for_selector("#notices:has-text('joins Example Telecom')")
    page.locator(".notice-box", has_text="joins Example Telecom").locator("button:has-text('Hide')").click()
    page.wait_for_selector("h1:has-text('Calling cards')")
    assert "joins Example Telecom" not in page.inner_text("main")
    kept = [c for c in before.cookies() if c["expires"] != -1]  # what survives a restart: persistent cookies
    assert [c["name"] for c in kept] == ["__Host-display"]
    before.close()

    after = browser.new_context()
    try:
        after.add_cookies(kept)
        page = after.new_page()
        page.goto(local_stage.url("/"))
        assert "joins Example Telecom" not in page.inner_text("main")  # still hidden
        page.goto(local_stage.url("/shop"))
        assert page.is_visible("#cart-empty") and page.locator("table.cart").count() == 0  # it ended with the browser
        local_stage.post_json("/login", {"email": person.email})
        page.goto(link(local_stage.wait_for_mail(person.email, "sign-in link")["text"], "/login/"))
        page.click("button:has-text('Continue')")
        page.wait_for_selector("h1:has-text('My Account')")
        assert page.locator("#policy-notice").count() == 0  # dismissed for good: the account records it
    finally:
        after.close()
