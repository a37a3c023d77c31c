"""Surveys and contests (P14): definitions that say what is asked, why and for how long;
voluntary submissions validated against them; answers aggregated for operators without
any contact data. A contest's contact data goes to `functions.contests` alone (P15): the
form takes an address, and the page of the link mailed to it collects the rest."""
from __future__ import annotations

import re
from datetime import datetime, timezone
from typing import Annotated, Any, Literal, Optional

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, model_validator

from functions import contests, survey_retention
from functions.validation import EmailAddress
from shared.errors import Conflict, InvalidInput, NotFound
from shared.ids import new_id
from shared.ports import Ports
from shared.store.surveys import Survey, SurveyResponse
from shared.store.table import Transaction

Text = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=300)]
QuestionId = Annotated[str, StringConstraints(pattern=r"^[a-z][a-z0-9_]{0,39}$")]
ContactField = Literal["name", "email", "shipping_address", "zip"]
SurveyId = Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9_-]{1,64}$")]
TEXT_ANSWER_MAX = 2000


class Question(BaseModel):
    model_config = ConfigDict(extra="forbid")

    id: QuestionId
    text: Text
    type: Literal["choice", "multi_choice", "text", "number"]
    required: bool = False
    options: list[Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=100)]] = \
        Field(default_factory=list, max_length=20)
    min: Optional[float] = None  # numbers only
    max: Optional[float] = None

    @model_validator(mode="after")
    def _options_fit_the_type(self) -> Question:
        choice = self.type in ("choice", "multi_choice")
        if choice and len(set(self.options)) < 2:
            raise ValueError("a choice question needs at least two different options")
        if not choice and self.options:
            raise ValueError("only choice questions have options")
        if self.min is not None and self.max is not None and self.min > self.max:
            raise ValueError("min is above max")
        return self


class SurveyDefinition(BaseModel):
    """What `ops_create_survey` takes: everything a respondent is told before answering."""

    model_config = ConfigDict(extra="forbid")

    title: Text
    kind: Literal["survey", "contest"]
    questions: list[Question] = Field(min_length=1, max_length=50)
    contact_fields: list[ContactField] = Field(default_factory=list)
    purpose: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=500)]
    retention_days: int = Field(ge=1, le=365)
    opens_at: datetime
    closes_at: datetime
    prize: Optional[Text] = None

    @model_validator(mode="after")
    def _consistent(self) -> SurveyDefinition:
        if self.closes_at <= self.opens_at:
            raise ValueError("closes_at must be after opens_at")
        if len({q.id for q in self.questions}) != len(self.questions):
            raise ValueError("question ids must be unique")
        if len(set(self.contact_fields)) != len(self.contact_fields):
            raise ValueError("contact_fields are listed twice")
        if self.kind == "survey" and self.contact_fields:
            raise ValueError("a survey asks for no contact data: only a contest does, to notify its winners")
        if self.kind == "contest" and "email" not in self.contact_fields:
            raise ValueError("a contest asks for an email address, to notify its winners")
        return self


class ConfirmationDetails(BaseModel):
    """What a contest's confirmation page collects, as far as the contest asks for it."""

    model_config = ConfigDict(extra="forbid", defer_build=True)

    name: Optional[Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=100)]] = None
    shipping_address: Optional[Annotated[str, StringConstraints(strip_whitespace=True, min_length=5,
                                                                max_length=300)]] = None
    zip: Optional[Annotated[str, StringConstraints(strip_whitespace=True, pattern=r"^[A-Za-z0-9][A-Za-z0-9 -]{1,9}$")]] = None


class SubmissionRequest(BaseModel):
    model_config = ConfigDict(extra="forbid", defer_build=True)

    answers: dict[Annotated[str, StringConstraints(max_length=40)], Any] = Field(max_length=50)
    email: Optional[EmailAddress] = None  # a contest's: its confirmation link is mailed there
    consent: bool = False


class SubmissionAccepted(BaseModel):
    model_config = ConfigDict(defer_build=True)

    response_id: str


class SurveySummary(BaseModel):
    model_config = ConfigDict(defer_build=True)

    survey_id: str
    title: str
    kind: str
    closes_at: str


class SurveyList(BaseModel):
    model_config = ConfigDict(defer_build=True)

    surveys: list[SurveySummary]


class SurveyView(BaseModel):
    """What is asked, why, for how long, and (contests) the draw's commitment and record."""

    model_config = ConfigDict(defer_build=True)

    survey_id: str
    title: str
    kind: str
    status: str  # upcoming | open | closed | drawn
    questions: list[dict[str, Any]]
    contact_fields: list[str]
    purpose: str
    retention_days: int
    opens_at: str
    closes_at: str
    prize: Optional[str] = None
    confirmation_link_hours: Optional[int] = None  # a contest's entry counts once confirmed by its mailed link
    commitment: Optional[str] = None  # SHA-256 of the draw's seed, from creation
    entries_hash: Optional[str] = None  # after the close: SHA-256 of the sorted confirmed entry ids, one per line
    entries: Optional[int] = None  # after the close: how many confirmed entries the draw picks from
    draw: Optional[dict[str, Any]] = None  # after the draw: seed, entry_ids, winners
    draw_method: Optional[str] = None


DRAW_METHOD = ("Winners are drawn in turn from the sorted confirmed entry ids: for n = 1, 2, ... take "
               "v = HMAC-SHA256(key = seed, message = 'draw:n') as a 256-bit big-endian number, skip it when "
               "v >= 2^256 - (2^256 mod k) for the k ids left, else the winner is the id at position v mod k, "
               "removed from the list. The seed's SHA-256 is the commitment shown from the start; the ids' "
               "SHA-256 (joined by newlines) is the hash published at the close.")


def _iso(moment: datetime) -> str:
    return moment.astimezone(timezone.utc).isoformat(timespec="milliseconds")


def create_survey(definition: SurveyDefinition, ports: Ports) -> dict[str, Any]:
    """A new definition; a contest commits to its draw's seed from the start (P15)."""
    survey_id = new_id()
    nonce, commitment = contests.new_commitment(survey_id, ports) if definition.kind == "contest" else (None, None)
    survey = Survey(survey_id, definition.title, definition.kind, [q.model_dump(exclude_none=True)
                                                                   for q in definition.questions],
                    list(definition.contact_fields), definition.purpose, definition.retention_days,
                    _iso(definition.opens_at), _iso(definition.closes_at), ports.clock.iso(), definition.prize,
                    commitment=commitment)
    ports.surveys.put_new(survey, nonce)
    return {"survey_id": survey.survey_id}


def status_of(survey: Survey, now_iso: str, drawn: bool = False) -> str:
    if drawn:
        return "drawn"
    if now_iso < survey.opens_at:
        return "upcoming"
    return "open" if now_iso < survey.closes_at else "closed"


def open_surveys(ports: Ports) -> SurveyList:
    now = ports.clock.iso()
    found = [s for s in ports.surveys.closing_between(now, "~") if status_of(s, now) == "open"]
    return SurveyList(surveys=[SurveySummary(survey_id=s.survey_id, title=s.title, kind=s.kind, closes_at=s.closes_at)
                               for s in found])


def survey(survey_id: str, ports: Ports) -> Survey:
    found = ports.surveys.get(survey_id) if re.fullmatch(r"[A-Za-z0-9_-]{1,64}", survey_id) else None
    if found is None:
        raise NotFound("There is no such survey or contest.")
    return found


def view(survey_id: str, ports: Ports) -> SurveyView:
    """What anyone may read; for a contest also what lets anyone re-check its draw."""
    found = survey(survey_id, ports)
    contest = found.kind == "contest"
    draw = ports.surveys.draw(survey_id) if contest else None
    record = None
    if draw is not None:
        record = {"drawn_at": draw.drawn_at, "entrants": draw.entrants, "seed": draw.seed, "winners": draw.winners,
                  "entry_ids": ports.surveys.entry_ids(survey_id), "contact_data_purged_at": draw.purge_at}
    return SurveyView(survey_id=found.survey_id, title=found.title, kind=found.kind,
                      status=status_of(found, ports.clock.iso(), draw is not None), questions=found.questions,
                      contact_fields=found.contact_fields, purpose=found.purpose,
                      retention_days=found.retention_days, opens_at=found.opens_at, closes_at=found.closes_at,
                      prize=found.prize, confirmation_link_hours=contests.LINK_SECONDS // 3600 if contest else None,
                      commitment=found.commitment, entries_hash=found.entries_hash, entries=found.entries,
                      draw=record, draw_method=DRAW_METHOD if contest else None)


# -- submission ------------------------------------------------------------------------------


def _answer_problem(question: dict[str, Any], value: Any) -> str | None:
    kind, options = question["type"], question.get("options", [])
    if kind == "choice":
        return None if isinstance(value, str) and value in options else "choose one of the options"
    if kind == "multi_choice":
        if not (isinstance(value, list) and all(isinstance(v, str) and v in options for v in value)
                and len(set(value)) == len(value)):
            return "choose among the options, each once"
        return "choose at least one option" if question.get("required") and not value else None
    if kind == "text":
        if not isinstance(value, str) or len(value) > TEXT_ANSWER_MAX:
            return f"write at most {TEXT_ANSWER_MAX} characters"
        return "this question needs an answer" if question.get("required") and not value.strip() else None
    if isinstance(value, bool) or not isinstance(value, (int, float)) or value != value:
        return "give a number"
    low, high = question.get("min"), question.get("max")
    if (low is not None and value < low) or (high is not None and value > high):
        return f"give a number from {low if low is not None else 'any'} to {high if high is not None else 'any'}"
    return None


def check_answers(found: Survey, answers: dict[str, Any]) -> list[str]:
    """Every problem with the answers, each naming its question."""
    questions = {q["id"]: q for q in found.questions}
    problems = [f"answers.{qid}: there is no such question" for qid in answers if qid not in questions]
    for qid, question in questions.items():
        if qid not in answers or answers[qid] is None:
            if question.get("required"):
                problems.append(f"answers.{qid}: this question needs an answer")
            continue
        problem = _answer_problem(question, answers[qid])
        if problem:
            problems.append(f"answers.{qid}: {problem}")
    return problems


def _contact_problems(found: Survey, request: SubmissionRequest) -> list[str]:
    if found.kind != "contest":
        return ["email: this survey asks for no contact details; leave them out"] if request.email else []
    problems = [] if request.email else ["email: needed to enter: we mail you a link to confirm your entry"]
    if not request.consent:
        problems.append("consent: tick the box to agree that we keep your details to notify winners")
    return problems


def submit(survey_id: str, request: SubmissionRequest, ports: Ports) -> SubmissionAccepted:
    """Store the answers; for a contest also a pending entry and its confirmation mail
    (`contests.enter`). A repeat from the same mailbox gets the same answer with an id linked
    to nothing: the answer tells nobody who entered."""
    found = survey(survey_id, ports)
    now = ports.clock.iso()
    if status_of(found, now) != "open":
        raise Conflict("This survey is not open: " + ("it has not started yet." if now < found.opens_at
                                                      else "it has closed."), code="survey_closed")
    problems = check_answers(found, request.answers) + _contact_problems(found, request)
    if problems:
        raise InvalidInput("; ".join(problems))
    if found.kind == "contest" and request.email:
        return SubmissionAccepted(response_id=contests.enter(found, dict(request.answers), request.email, ports))
    response_id = new_id()
    tx = Transaction()
    ports.surveys.add_response(tx, SurveyResponse(survey_id, response_id, dict(request.answers), now,
                                                  survey_retention.expires_at(found, ports.clock.now())))
    ports.table.commit(tx)
    return SubmissionAccepted(response_id=response_id)


# -- a contest entry's confirmation page ------------------------------------------------------
CONFIRMED_FIELDS = {  # what the confirmation page collects, as far as the contest asks, and what each must be
    "name": "write your name, at most 100 characters",
    "shipping_address": "write the full shipping address, 5 to 300 characters",
    "zip": "write a ZIP or postal code: 2 to 10 letters, digits, spaces or hyphens",
}


def confirmation_fields(found: Survey) -> list[str]:
    return [name for name in CONFIRMED_FIELDS if name in found.contact_fields]


def confirm_entry(survey_id: str, token: str, fields: dict[str, str], ports: Ports) -> str:
    """Confirm an entry with what its page collected; returns the entry id (the draw ticket)."""
    from pydantic import ValidationError

    found, _ = contests.confirmation_link(survey_id, token, ports)
    asked = confirmation_fields(found)
    try:
        details = ConfirmationDetails.model_validate({k: v for k, v in fields.items() if k in asked and v.strip()})
    except ValidationError as error:
        wrong = sorted({str(problem["loc"][0]) for problem in error.errors(include_input=False)})
        raise InvalidInput("; ".join(f"{name}: {CONFIRMED_FIELDS[name]}" for name in wrong)) from None
    given = details.model_dump(exclude_none=True)
    missing = [f"{name}: needed to send you the prize if you win" for name in asked if name not in given]
    if missing:
        raise InvalidInput("; ".join(missing))
    return contests.confirm(survey_id, token, given, ports)


# -- results -----------------------------------------------------------------------------------


class ResultsInput(BaseModel):
    model_config = ConfigDict(extra="forbid")

    survey_id: SurveyId


def results(payload: ResultsInput, ports: Ports) -> dict[str, Any]:
    """Aggregates only: counts per option, number statistics, and for free text only how
    many answered (text could name someone). Never contact data, and only answers still
    within the survey's retention."""
    found = survey(payload.survey_id, ports)
    responses = survey_retention.kept_answers(found, ports)
    summary = []
    for question in found.questions:
        values = [r.answers[question["id"]] for r in responses if r.answers.get(question["id"]) is not None]
        entry: dict[str, Any] = {"id": question["id"], "type": question["type"], "answered": len(values)}
        if question["type"] in ("choice", "multi_choice"):
            chosen = [v for value in values for v in (value if isinstance(value, list) else [value])]
            entry["counts"] = {option: chosen.count(option) for option in question["options"]}
        elif question["type"] == "number" and values:
            numbers = [float(v) for v in values]
            entry.update(min=min(numbers), max=max(numbers), mean=round(sum(numbers) / len(numbers), 3))
        summary.append(entry)
    result = {"survey_id": found.survey_id, "title": found.title, "responses": len(responses), "questions": summary}
    if found.kind == "contest":  # confirmed draw tickets: published at the close, counted until then
        result["entries"] = found.entries if found.entries is not None else found.confirmed_entries or 0
    return result
