"""Unsubscribe links (P03, P12) and the contact form (P09, P12)."""
from __future__ import annotations

from chalice import Blueprint

from chalicelib.http import form_fields, json_route, page_route
from chalicelib.pages import TOKEN_PAGE_HEADERS, render_page

mail_links = Blueprint(__name__)


@page_route(mail_links, "/unsubscribe/{token}", ["GET"])
def unsubscribe_page(token, ports):
    """Names what the link stops and asks for a confirming click; changes nothing. It shows
    no address and no topic's state: a mail is often forwarded, and its link with it."""
    from functions.unsubscribe import read_link
    from shared.mail.topics import topics_text
    from shared.models import ALL_TOPICS

    link = read_link(token, ports)
    return render_page(
        "unsubscribe.html",
        headers=TOKEN_PAGE_HEADERS,
        title="Stop emails",
        token=token,
        topics_text=topics_text(link.topics),
        all_text=topics_text(ALL_TOPICS),
        offer_all=set(link.topics) != set(ALL_TOPICS),
    )


@page_route(mail_links, "/unsubscribe/{token}", ["POST"], forms=True)
def unsubscribe_post(token, ports):
    """The page's form and RFC 8058 one-click (no cookies, no redirect): 200, effective at once."""
    from functions.unsubscribe import unsubscribe
    from shared.mail.topics import topics_text

    fields = form_fields(mail_links.current_request)
    one_click = fields.get("List-Unsubscribe") == "One-Click"
    stopped = unsubscribe(
        token,
        source="one_click" if one_click else "unsubscribe_page",
        ports=ports,
        everything=fields.get("scope") == "all",
    )
    return render_page("unsubscribed.html", headers=TOKEN_PAGE_HEADERS, title="Unsubscribed",
                       stopped_text=topics_text(stopped.topics, "or"))


def _contact_fields() -> dict:
    from chalicelib.forms import Field, email_field

    return {
        "email": email_field(),
        "topic": Field("What your message is about", "Choose what your message is about"),
        "message": Field("Your question", "Enter your question"),
    }


def contact_page_for(problems: dict[str, str], values: dict[str, str], status: int = 200):
    """The form, with what a failed post said about it and the input kept. Its topics are
    those of functions.contact.ContactRequest."""
    from functions.contact import MESSAGE_MAX_LENGTH, QUESTION_RETENTION_DAYS
    from shared.mail.topics import topics_text
    from shared.models import ALL_TOPICS

    topics = {
        "question": "A question for us",
        "unsubscribe": f"Stop sending {topics_text(ALL_TOPICS)} to this address",
        "forget_friend": "Forget this address: a customer gave it to us to invite a friend",
    }
    return render_page("contact.html", status=status, title="Contact us", problems=problems, values=values,
                       topics=topics, max_length=MESSAGE_MAX_LENGTH, retention_days=QUESTION_RETENTION_DAYS)


@page_route(mail_links, "/contact", ["GET"])
def contact_page():
    """The contact form that the policy and mails point to; it works without JavaScript."""
    return contact_page_for({}, {})


def contact_form(fields, ports):
    """The page's form: the same use case, and calls, as the JSON post; a thank-you page
    whose words depend on the chosen topic alone, never on the address (it reveals no
    account, P12). A question needs its words; the JSON API keeps accepting an empty one."""
    from pydantic import ValidationError

    from chalicelib.forms import GENERAL, kept, problems_of
    from functions.contact import ContactRequest
    from functions.contact import contact as handle

    form = _contact_fields()
    # An empty field is a missing one, so it reads "Enter ..." rather than "... the correct format".
    data = {name: fields[name] for name in form if fields.get(name, "").strip()}
    problems: dict[str, str] = {}
    body = None
    try:
        body = ContactRequest.model_validate(data)
    except ValidationError as error:
        problems = problems_of(error, form)
    if data.get("topic") == "question" and "message" not in data:
        problems["message"] = form["message"].empty
    if problems or body is None:
        ordered = {name: problems[name] for name in [*form, GENERAL] if name in problems}
        return contact_page_for(ordered, kept(fields, form), status=400)
    handle(body, ports)
    return contact_sent(body.topic)


def contact_sent(topic: str):
    """The thank-you page: its words follow the topic alone, the same for every address."""
    from functions.contact import QUESTION_RETENTION_DAYS
    from shared.mail.topics import topics_text
    from shared.models import ALL_TOPICS

    return render_page("contact_sent.html", title="Thank you", topic=topic, stopped_text=topics_text(ALL_TOPICS, "or"),
                       retention_days=QUESTION_RETENTION_DAYS)


@json_route(mail_links, "/contact", "POST", summary="Contact request (same answer whatever the address)",
            request="functions.contact:ContactRequest", response="functions.contact:ContactAccepted", status=202,
            form=contact_form)
def contact(body, ports):
    from functions.contact import contact as handle

    return handle(body, ports)
