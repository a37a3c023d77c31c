"""Unsubscribe links (P03, P12) and the contact form."""
from __future__ import annotations

from chalice import Blueprint

from chalicelib.http import form_fields, json_route, page_route
from chalicelib.pages import TOKEN_PAGE_HEADERS, render_page

mail_links = Blueprint(__name__)

TOPIC_WORDS = {"newsletter": "the newsletter", "promotions": "special offers"}


def _topics_text(topics) -> str:
    words = [TOPIC_WORDS[t] for t in topics]
    return " and ".join(words) if len(words) <= 2 else ", ".join(words)


@page_route(mail_links, "/unsubscribe/{token}", ["GET"])
def unsubscribe_page(token, ports):
    """Names what the link stops and asks for a confirming click; changes nothing."""
    from functions.unsubscribe import read_link
    from shared.models import ALL_TOPICS

    link = read_link(token, ports)
    return render_page(
        "unsubscribe.html",
        headers=TOKEN_PAGE_HEADERS,
        title="Stop emails",
        token=token,
        topics_text=_topics_text(link.topics),
        offer_all=set(link.topics) != set(ALL_TOPICS),
    )


@page_route(mail_links, "/unsubscribe/{token}", ["POST"], forms=True)
def unsubscribe_post(token, ports):
    """The page's form and RFC 8058 one-click (no cookies, no redirect): 200, effective at once."""
    from functions.unsubscribe import unsubscribe

    fields = form_fields(mail_links.current_request)
    one_click = fields.get("List-Unsubscribe") == "One-Click"
    stopped = unsubscribe(
        token,
        source="one_click" if one_click else "unsubscribe_page",
        ports=ports,
        everything=fields.get("scope") == "all",
    )
    return render_page(
        "unsubscribed.html", headers=TOKEN_PAGE_HEADERS, title="Unsubscribed", topics_text=_topics_text(stopped.topics)
    )


@json_route(mail_links, "/contact", "POST", summary="Contact request (same answer whatever the address)",
            request="functions.contact:ContactRequest", response="functions.contact:ContactAccepted", status=202)
def contact(body, ports):
    from functions.contact import contact as handle

    return handle(body, ports)
