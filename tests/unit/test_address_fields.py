"""Every address field takes what SES can deliver to: a non-ASCII part before the @ is
refused with a 400 that names the field and says why; an internationalised domain is kept
and mailed in its ASCII (IDNA) form."""
from __future__ import annotations

import pytest
from pydantic import ValidationError

from functions.accounts import ProfileUpdate
from functions.contact import ContactRequest
from functions.sign_in_links import SignInRequest
from functions.signup import SignupRequest

MODELS = [
    (SignupRequest, {"name": "Zoë", "promotions": False}),
    (SignInRequest, {}),
    (ProfileUpdate, {}),
    (ContactRequest, {"topic": "question", "message": "hi"}),
]


@pytest.mark.parametrize("model, rest", MODELS)
def test_a_non_ascii_local_part_is_refused_naming_the_field_and_the_reason(model, rest):
    with pytest.raises(ValidationError) as refused:
        model.model_validate({"email": "zoë@example.org", **rest})
    [problem] = refused.value.errors()
    assert problem["loc"] == ("email",) and "before the @" in problem["msg"]


@pytest.mark.parametrize("model, rest", MODELS)
def test_an_internationalised_domain_is_kept_in_its_ascii_form(model, rest):
    parsed = model.model_validate({"email": "zoe@bücher.example", **rest})
    assert parsed.email == "zoe@xn--bcher-kva.example"
