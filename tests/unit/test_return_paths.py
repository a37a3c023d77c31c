"""A sign-in goes back only to a page of the store, named by its path alone: never another
site, a token link, a path with a query or fragment, or one no GET page route matches."""
from __future__ import annotations

import pytest
from hypothesis import given, strategies as st

import app  # noqa: F401 - registers the routes the check is made against
from chalicelib.return_paths import safe

TRICKS = [
    "//evil.example", "///evil.example", "/\\evil.example", "\\\\evil.example", "https://evil.example/",
    "http:/evil.example", "javascript:alert(1)", "/%2F%2Fevil.example", "/my-account/%2e%2e/x",
    "/my-account/../login", "/my-account?next=//evil.example", "/my-account#x", "/my-account/", "/my-account//",
    "/login", "/login/a-token-value-from-a-mail", "/unsubscribe/sometoken", "/friends/forget/sometoken",
    "/checkout/return", "/account/export", "/my-account/orders/a.b", "/my-account/orders/", " /my-account",
    "/my-account\r\nSet-Cookie: x=1", "/my-account/orders/" + "x" * 300, "", None,
]


@pytest.mark.parametrize("candidate", TRICKS)
def test_an_open_redirect_trick_is_never_a_return_path(candidate):
    assert safe(candidate) is None


@pytest.mark.parametrize("page", ["/", "/shop", "/my-account", "/my-account/email-preferences",
                                  "/my-account/orders/Zk3_x-9q", "/take-part", "/contact"])
def test_a_page_of_the_store_is_a_return_path(page):
    assert safe(page) == page


@given(st.text(max_size=120))
def test_whatever_is_offered_a_return_path_is_a_bare_local_page_path(candidate):
    kept = safe(candidate)
    if kept is not None:
        assert kept == candidate and kept.startswith("/") and not kept.startswith("//")
        assert not set(kept) & set("?#\\:%.@ \t\r\n") and len(kept) <= 200
        assert not kept.startswith(("/login", "/unsubscribe/", "/friends/forget/"))
