"""The address check's plain-ASCII fast path never differs from email-validator, which stays
the authority for every address the fast path does not surely accept."""
from __future__ import annotations

import subprocess
import sys

import pytest
from email_validator import EmailNotValidError, validate_email
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from functions import validation
from functions.validation import plain_address

ATEXT = "abcxyzABCXYZ0189!#$%&'*+/=?^_`{|}~-"
HOST = "abcxyzABCXYZ0189-"


def library(address: str) -> str | None:
    """email-validator's answer as the store uses it: the ASCII address, or None if refused."""
    try:
        checked = validate_email(address, check_deliverability=False)
    except EmailNotValidError:
        return None
    return None if checked.smtputf8 else checked.ascii_email


@pytest.mark.parametrize("address", [
    "ann@example.org", "Ann.Lee@Example.ORG", "a+tag@sub.example.co.uk", "o'brien@example.ie", "x@a.io",
    "first.last@d-1.example.com", "a" * 64 + "@example.com", "a@" + "b" * 63 + ".com", "_!#$%&'*+/=?^`{|}~-@ex.org",
])
def test_plain_addresses_are_accepted_exactly_as_email_validator_gives_them(address):
    assert plain_address(address) is not None
    assert plain_address(address) == library(address)


@pytest.mark.parametrize("address", [
    "a..b@example.org", ".a@example.org", "a.@example.org", "a@-x.org", "a@x-.org", "a@x..org", "a@x.org.",
    "a@x", "a@x.c0", "a@x.test", "a@x.localhost", "a@x.onion", "Postmaster@example.org", "a@ab--cd.org",
    "a@xn--bcher-kva.example", '"a b"@example.org', "a@[192.0.2.1]", "Ann <a@example.org>", "a b@example.org",
    "a" * 65 + "@example.com", "a@" + "b" * 64 + ".com", "ä@example.org", "a@bücher.example", "a@@example.org",
])
def test_anything_else_is_left_to_email_validator(address):
    assert plain_address(address) is None


def test_the_names_it_leaves_to_email_validator_are_that_librarys_own_lists():
    """A new email-validator release that adds a special-use domain or a role mailbox fails
    here, before the fast path could accept what the library would refuse or rewrite."""
    import email_validator
    from email_validator.rfc_constants import CASE_INSENSITIVE_MAILBOX_NAMES

    assert sorted(validation.SPECIAL_USE_DOMAINS) == sorted(email_validator.SPECIAL_USE_DOMAIN_NAMES)
    assert sorted(validation.ROLE_MAILBOXES) == sorted(CASE_INSENSITIVE_MAILBOX_NAMES)


atoms = st.text(st.sampled_from(ATEXT + "."), min_size=0, max_size=70)
labels = st.text(st.sampled_from(HOST), min_size=0, max_size=66)
tlds = st.one_of(st.sampled_from(["org", "COM", "test", "onion", "arpa", "x", "io", "c0", "local"]),
                 st.text(st.sampled_from(HOST), min_size=0, max_size=8))
addresses = st.builds(lambda local, hosts, tld: f"{local}@{'.'.join(hosts + [tld])}",
                      atoms, st.lists(labels, min_size=0, max_size=4), tlds)


@settings(max_examples=3000, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.one_of(addresses, st.text(st.sampled_from(ATEXT + ".@ \"<>[]äü"), max_size=40)))
@example("Ann@Example.ORG")
@example("ab--c@example.org")
@example("a@sub.ab--cd.org")
def test_whatever_the_fast_path_accepts_email_validator_accepts_the_same(address):
    plain = plain_address(address)
    if plain is not None:
        assert library(address) == plain


def test_a_plain_address_is_checked_without_loading_email_validator_at_all():
    """Its first import costs a cold start about 25 ms of regular expressions; an
    internationalised domain still goes through it, to its IDNA form."""
    probe = (
        "import sys\n"
        "from functions.signup import SignupRequest\n"
        "ok = SignupRequest.model_validate({'email': 'Ann@Example.org', 'name': 'Ann', 'promotions': True})\n"
        "assert ok.email == 'Ann@example.org', ok.email\n"
        "assert 'email_validator' not in sys.modules\n"
        "idn = SignupRequest.model_validate({'email': 'ann@bücher.example', 'name': 'Ann', 'promotions': True})\n"
        "assert idn.email == 'ann@xn--bcher-kva.example', idn.email\n"
        "assert 'email_validator' in sys.modules\n"
    )
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr[-2000:]
