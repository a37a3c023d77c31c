"""The seeded contest in Debian Chromium (P14): from the list of surveys and contests to the
form, which says what it asks and why, to the thank-you page, with no cookies needed (its
confirmation link: test_browser_contests.py)."""
from __future__ import annotations


def test_p14_the_seeded_contest_form_is_filled_in_and_reaches_the_thank_you_page(local_stage, browser, make_person):
    person = make_person()
    context = browser.new_context()
    try:
        page = context.new_page()
        page.goto(local_stage.url("/take-part"))
        page.click("text=Win a year of calls home")
        page.wait_for_selector("#purpose:has-text('Why we ask')")
        page.click("button:has-text('Enter the contest')")  # nothing filled in: errors tied to their fields
        page.wait_for_selector("#form-errors")
        assert page.get_attribute("input[name='contact.email']", "aria-invalid") == "true"
        page.check("text=Gift cards")
        page.fill("input[name='contact.email']", person.email)
        page.check("input[name=consent]")
        page.click("button:has-text('Enter the contest')")
        page.wait_for_selector("h1:has-text('Thank you')")
        assert "check your email" in page.inner_text("#result")
        assert context.cookies() == []  # nothing needed a cookie
    finally:
        context.close()
