"""Surveys and contests (P14, P15): the JSON API, an HTML form that says what is asked, why
and for how long, and works without cookies, and the page of a contest entry's mailed
confirmation link, which collects the details for the prize and gives the entry id."""
from __future__ import annotations

import re

from chalice import Blueprint

from chalicelib.http import describe_validation, form_fields, html_error, json_route, page_route, problems_by_field
from chalicelib.pages import TOKEN_PAGE_HEADERS, render_page

surveys = Blueprint(__name__)


@json_route(surveys, "/surveys", "GET", summary="Open surveys and contests", response="functions.surveys:SurveyList")
def open_surveys(ports):
    from functions.surveys import open_surveys as listed

    return listed(ports)


@json_route(surveys, "/surveys/{survey_id}", "GET", summary="A survey or contest: what it asks, why, for how long",
            response="functions.surveys:SurveyView", answers=(404,))
def survey(survey_id, ports):
    from functions.surveys import view

    return view(survey_id, ports)


@json_route(surveys, "/surveys/{survey_id}/responses", "POST", summary="Answer a survey or enter a contest",
            request="functions.surveys:SubmissionRequest", response="functions.surveys:SubmissionAccepted",
            status=201, answers=(404, 409))
def respond(survey_id, body, ports):
    from functions.surveys import submit

    return submit(survey_id, body, ports)


@page_route(surveys, "/take-part", ["GET"])
def take_part(ports):
    from functions.surveys import open_surveys as listed

    return render_page("take_part.html", title="Surveys and contests", surveys=listed(ports).surveys)


def _form_page(survey_id, ports, *, errors=None, values=None, status=200):
    from functions.surveys import view

    shown = view(survey_id, ports)
    return render_page("survey_form.html", status=status, title=shown.title, survey=shown, errors=errors or {},
                       values=values or {})


@page_route(surveys, "/surveys/{survey_id}/form", ["GET"])
def survey_form(survey_id, ports):
    return _form_page(survey_id, ports)


def _submission(fields: dict[str, str], questions: list[dict]) -> dict:
    """The form's fields as the JSON API's body: `answer.<id>`, `answer.<id>.<n>` for each
    ticked option of a multiple choice, `contact.email` and `consent`."""
    answers: dict = {}
    for question in questions:
        qid, kind = question["id"], question["type"]
        if kind == "multi_choice":
            ticked = [option for n, option in enumerate(question["options"]) if fields.get(f"answer.{qid}.{n}")]
            if ticked:
                answers[qid] = ticked
            continue
        value = fields.get(f"answer.{qid}", "").strip()
        if not value:
            continue
        if kind == "number":
            try:
                answers[qid] = float(value) if re.search(r"[.eE]", value) else int(value)
            except ValueError:
                answers[qid] = value  # refused by the validation, named with its question
        else:
            answers[qid] = value
    email = fields.get("contact.email", "").strip()
    return {"answers": answers, "email": email or None, "consent": fields.get("consent") == "yes"}


def _form_field(name: str) -> str:
    """A problem's field as the forms name it: the API's `answers.q1` is `answer.q1`, and
    contact details are `contact.<name>`."""
    if name.startswith("answers."):
        return name.replace("answers.", "answer.", 1)
    return f"contact.{name}" if name in ("email", "name", "shipping_address", "zip") else name


def _errors_by_field(message: str) -> dict[str, str]:
    """Each problem by its form field, as a sentence; an address the validator refused reads
    as the one format people know, never the validator's words."""
    from chalicelib.forms import EMAIL_FORMAT

    errors = {}
    for field, text in problems_by_field(message).items():
        name = _form_field(field)
        if name == "contact.email" and not text.startswith("needed"):
            text = EMAIL_FORMAT
        errors[name] = text[:1].upper() + text[1:]
    return errors


@page_route(surveys, "/surveys/{survey_id}/form", ["POST"], forms=True)
def survey_form_post(survey_id, ports):
    from pydantic import ValidationError

    from functions.surveys import SubmissionRequest, submit, survey as defined
    from shared.errors import InvalidInput

    fields = form_fields(surveys.current_request)
    found = defined(survey_id, ports)
    body = _submission(fields, found.questions)
    try:
        submit(survey_id, SubmissionRequest.model_validate(body), ports)
    except ValidationError as error:
        errors = _errors_by_field(describe_validation(error))
        return _form_page(survey_id, ports, errors=errors, values=fields, status=400)
    except InvalidInput as error:
        return _form_page(survey_id, ports, errors=_errors_by_field(error.message), values=fields, status=400)
    from functions.surveys import view

    return render_page("survey_thanks.html", title="Thank you", survey=view(survey_id, ports))


# -- a contest entry's confirmation link (the token is redacted from request logs) --------------
def _token_page(template: str, status: int = 200, **context):
    return render_page(template, status=status, headers=TOKEN_PAGE_HEADERS, **context)


def _confirm_page(survey_id, token, ports, *, errors=None, values=None, status=200):
    from functions.surveys import confirmation_fields, survey as defined, view

    return _token_page("contest_confirm.html", status=status, title="Confirm your entry", survey=view(survey_id, ports),
                       token=token, fields=confirmation_fields(defined(survey_id, ports)), errors=errors or {},
                       values=values or {})


@page_route(surveys, "/surveys/{survey_id}/confirm-email/{token}", ["GET"])
def contest_confirm(survey_id, token, ports):
    """The page only: opening a link (mail scanners prefetch them) changes nothing."""
    from functions.contests import confirmation_link
    from shared.errors import DomainError

    try:
        confirmation_link(survey_id, token, ports)
    except DomainError as error:
        return _token_failure(error)
    return _confirm_page(survey_id, token, ports)


def _token_failure(error):
    response = html_error(error.status, error.message)
    response.headers.update(TOKEN_PAGE_HEADERS)
    return response


@page_route(surveys, "/surveys/{survey_id}/confirm-email/{token}", ["POST"], forms=True)
def contest_confirm_post(survey_id, token, ports):
    from functions.surveys import confirm_entry, view
    from shared.errors import DomainError, InvalidInput

    fields = form_fields(surveys.current_request)
    details = {name[len("contact."):]: value for name, value in fields.items() if name.startswith("contact.")}
    try:
        entry_id = confirm_entry(survey_id, token, details, ports)
    except InvalidInput as error:
        return _confirm_page(survey_id, token, ports, errors=_errors_by_field(error.message), values=fields, status=400)
    except DomainError as error:
        return _token_failure(error)
    return _token_page("contest_confirmed.html", title="Your entry is confirmed", survey=view(survey_id, ports),
                       entry_id=entry_id)
