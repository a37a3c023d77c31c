"""Public pages and documents: home, health, policy, OpenAPI, static assets."""
from __future__ import annotations

from pathlib import Path

from chalice import Blueprint, Response

from chalicelib.http import json_route, page_route
from chalicelib.pages import render_page

site = Blueprint(__name__)
STATIC = Path(__file__).resolve().parent.parent / "static"


@json_route(site, "/health", "GET", summary="Liveness check", response="chalicelib.schemas:Health")
def health():
    return {"status": "ok"}


@page_route(site, "/", ["GET"])
def home(ports):
    """P24: the viewer's country chooses the greeting and which cards come first. The page
    differs by viewer (their address, their hidden notices), so no shared cache keeps it."""
    from chalicelib import cookies, viewer
    from functions.home import home_for
    from functions.notices import home_notices

    shown = home_notices(ports, hidden=cookies.hidden_notices(site.current_request))
    return render_page("home.html", title="Calling cards", notices=shown, headers={"Cache-Control": "private"},
                       home=home_for(viewer.country(site.current_request, ports)))


@page_route(site, "/notices/{notice_id}/hide", ["POST"], forms=True)
def hide_notice(notice_id):
    """Hide a home-page notice in this browser only: the display cookie remembers it."""
    from chalicelib import cookies
    from shared.errors import InvalidInput

    if not cookies.valid_notice_id(notice_id):
        raise InvalidInput("There is no such notice.")
    hidden = cookies.hidden_notices(site.current_request) | {notice_id}
    return Response(body="", status_code=303, headers={"Location": "/", "Set-Cookie": cookies.display(hidden)})


@page_route(site, "/privacy", ["GET"])
def privacy(ports):
    from functions.notices import current, versions
    from shared.policy import render_html

    version = current(ports)
    return render_page(
        "privacy.html", title="Privacy policy", version=version.version, effective=version.effective,
        policy_html=render_html(version), versions=[v.summary() for v in versions(ports)],
    )


@json_route(site, "/privacy.json", "GET", summary="Policy versions", response="chalicelib.schemas:PolicyVersions")
def privacy_versions(ports):
    from functions.notices import versions

    return {"versions": [v.summary() for v in versions(ports)]}


@json_route(site, "/openapi.json", "GET", summary="This document")
def openapi():
    from chalicelib.openapi import document

    return document()


def _static(name: str, content_type: str) -> Response:
    return Response(
        body=(STATIC / name).read_text(),
        headers={"Content-Type": content_type, "Cache-Control": "public, max-age=3600"},
    )


@site.route("/site.css", methods=["GET"])
def stylesheet():
    return _static("site.css", "text/css; charset=utf-8")


@site.route("/site.js", methods=["GET"])
def script():
    return _static("site.js", "text/javascript; charset=utf-8")


@site.route("/favicon.ico", methods=["GET"])
def favicon():
    """Browsers ask for it on every first visit; nothing is better than an error."""
    return Response(body="", status_code=204, headers={"Cache-Control": "public, max-age=86400"})
