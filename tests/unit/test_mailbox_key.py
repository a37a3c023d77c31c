"""The two keys of an address: `address_hash`, exact (lower-cased), for what an address may
obtain, and `mailbox_key`, canonical, for what spellings must not multiply (P06, P09, P15)."""
from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from shared.ids import address_hash, canonical_mailbox, mailbox_key

KEY = b"unit-test-hash-key"


@pytest.mark.parametrize("spelling", ["frida@gmail.com", "Frida@Gmail.com", "frida+news@gmail.com",
                                      "f.r.i.d.a@gmail.com", "frida@googlemail.com", "F.Rida+x+y@GoogleMail.com"])
def test_p06_every_spelling_of_one_gmail_mailbox_has_one_mailbox_key(spelling):
    assert mailbox_key(spelling, KEY) == mailbox_key("frida@gmail.com", KEY)
    assert canonical_mailbox(spelling) == "frida@gmail.com"


def test_a_plus_tag_is_dropped_on_every_domain_but_dots_only_at_gmail():
    assert canonical_mailbox("ann+shop@example.org") == "ann@example.org"
    assert canonical_mailbox("a.nn@example.org") == "a.nn@example.org"  # another mailbox there
    assert canonical_mailbox("+tag@example.org") == "+tag@example.org"  # no prefix would remain


def test_the_two_keys_differ_and_the_exact_one_keeps_spellings_apart():
    assert address_hash("frida+news@gmail.com", KEY) != address_hash("frida@gmail.com", KEY)
    assert address_hash("Frida@Gmail.com", KEY) == address_hash("frida@gmail.com", KEY)
    assert mailbox_key("frida@gmail.com", KEY) != address_hash("frida@gmail.com", KEY)  # one key per purpose


local = st.from_regex(r"[a-z0-9]([a-z0-9._]{0,10}[a-z0-9])?", fullmatch=True)


@given(local, st.sampled_from(["gmail.com", "googlemail.com", "example.org"]), st.text("abc", max_size=5))
def test_p06_a_tag_or_case_never_makes_a_new_mailbox(name, domain, tag):
    plain = f"{name}@{domain}"
    assert mailbox_key(f"{name.upper()}+{tag}@{domain.upper()}", KEY) == mailbox_key(plain, KEY)
