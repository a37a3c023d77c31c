"""The /dev routes of the local stage. The runner registers them; app.py never does."""
from __future__ import annotations

from chalice import Response

from local_stage.outbox import sent_mail

OUTBOX_PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Outbox · local stage</title>
<link rel="stylesheet" href="/site.css"></head>
<body><h1>Outbox</h1><p>Every email the local stage has sent, newest first.</p>
{items}</body></html>"""
ITEM = """<article class="mail"><h2>{subject}</h2><p class="meta">To {to} at {sent_at}</p>
<details open><summary>Text</summary><pre>{text}</pre></details>
<details><summary>Headers</summary><pre>{headers}</pre></details></article>"""


def register(app) -> None:
    @app.route("/dev/outbox.json", methods=["GET"])
    def outbox_json():
        return sent_mail()

    @app.route("/dev/outbox", methods=["GET"])
    def outbox_page():
        from html import escape

        from markupsafe import Markup

        def linkify(text: str) -> str:
            import re

            return re.sub(r"(https?://[^\s<]+)", r'<a href="\1">\1</a>', text)

        items = "".join(
            ITEM.format(
                subject=escape(m["subject"]),
                to=escape(", ".join(m["to"])),
                sent_at=escape(m["sent_at"]),
                text=Markup(linkify(str(escape(m["text"])))),
                headers=escape("\n".join(f"{k}: {v}" for k, v in m["headers"].items())),
            )
            for m in sent_mail()
        ) or "<p>No mail yet.</p>"
        return Response(body=OUTBOX_PAGE.format(items=items), headers={"Content-Type": "text/html; charset=utf-8"})
