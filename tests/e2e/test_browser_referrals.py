"""Tell-A-Friend in Debian Chromium (P06, P09): a customer invites a friend from My Account;
the friend opens the invitation in /dev/outbox, follows its forget-me link and confirms;
a later referral of that address sends nothing."""
from __future__ import annotations

from tests.e2e.test_browser_accounts import signed_in_page

INVITATION = "thinks you would like the Calling Card Store"
# An invitation is bulk mail: the local stage's sweeper sends it on its schedule, behind
# whatever other bulk mail the run has queued, not on the stream's fast path.
BULK_MAIL_WAIT = 90.0


def tell_a_friend(local_stage, page, friend_name: str, friend_email: str) -> None:
    page.goto(local_stage.url("/my-account"))
    page.click("text=Tell a Friend")
    page.fill("input[name=friend_name]", friend_name)
    page.fill("input[name=friend_email]", friend_email)
    page.click("button:has-text('Send the invitation')")
    page.wait_for_selector("#message:has-text('Thank you')")


def test_p09_a_friend_forgets_their_address_from_the_invitation_and_is_never_invited_again(
        local_stage, browser, page, make_person):
    customer, friend = make_person(), make_person("friend")
    signed_in_page(local_stage, page, customer)
    tell_a_friend(local_stage, page, friend.name, friend.email)
    listed = page.inner_text("#referrals")
    assert "A friend: invited" in listed and friend.name not in listed  # the name is asked, never kept
    local_stage.wait_for_mail(friend.email, INVITATION, timeout=BULK_MAIL_WAIT)

    reader = browser.new_context()  # the friend, in a browser of their own, with no account
    try:
        mailbox = reader.new_page()
        mailbox.goto(local_stage.url("/dev/outbox"))
        invitation = mailbox.locator("article.mail", has_text=friend.email).filter(has_text=INVITATION)
        invitation.locator("a[href*='/friends/forget/']").first.click()
        mailbox.wait_for_selector("h1:has-text('Forget my address')")
        mailbox.click("button:has-text('Forget my address')")
        mailbox.wait_for_selector("h1:has-text('Your address is forgotten')")
    finally:
        reader.close()

    page.goto(local_stage.url("/my-account/tell-a-friend"))
    assert page.inner_text("#referrals") == listed  # the referrer cannot tell the friend was erased

    other, control = make_person(), make_person("friend")
    page.context.clear_cookies()
    signed_in_page(local_stage, page, other)
    tell_a_friend(local_stage, page, "Pat", friend.email)  # the forgotten address, again
    tell_a_friend(local_stage, page, control.name, control.email)
    local_stage.wait_for_mail(control.email, INVITATION, timeout=BULK_MAIL_WAIT)  # invitations still go out...
    to_friend = [m for m in local_stage.outbox() if friend.email in m["to"]]
    assert len(to_friend) == 1  # ...but the forgotten friend got only the first one
