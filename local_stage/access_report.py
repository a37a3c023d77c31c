"""The access trends report (`ops_access_trends`, P23) as one self-contained HTML page:
inline SVG bar charts per day, country, browser family and OS family, and the table of
counts. No script, no font, no stylesheet or image from anywhere else.

`make ops NAME=ops_access_trends INPUT=file.json` writes it next to printing the JSON;
a report saved from a deployed stage (`chalice invoke -n ops_access_trends`) renders with

    .venv/bin/python -m local_stage.access_report report.json [out.html]
"""
from __future__ import annotations

import json
import sys
from html import escape
from pathlib import Path
from typing import Any

from local_stage.emulator import ROOT

OUT = ROOT / "out"
TOP = 12  # bars per chart before the rest is summed up as "all others"
BAR_COLOUR = "#0b4f8a"
STYLE = """
body { font-family: system-ui, sans-serif; color: #222; margin: 1.5em auto; max-width: 64em; padding: 0 1em; }
h1 { font-size: 1.5em; } h2 { font-size: 1.15em; margin-top: 2em; }
.summary { font-size: 1.1em; } .charts { display: flex; flex-wrap: wrap; gap: 1em 3em; }
svg text { font-size: 12px; fill: #222; } svg .axis { stroke: #999; }
table { border-collapse: collapse; } td, th { text-align: left; padding: .2em .6em; border-bottom: 1px solid #eee; }
td.n, th.n { text-align: right; }
"""


def _svg(width: int, height: int, label: str, body: list[str]) -> str:
    return (f'<svg width="{width}" height="{height}" '
            f'viewBox="0 0 {width} {height}" role="img" aria-label="{escape(label)}">' + "".join(body) + "</svg>")


def day_chart(by_day: list[dict[str, Any]], width: int = 900, height: int = 260) -> str:
    """Requests per day as vertical bars, every day of the range (zeros too)."""
    left, bottom, top = 48, 40, 16
    plot_w, plot_h = width - left - 8, height - bottom - top
    peak = max([d["count"] for d in by_day] + [1])
    step = plot_w / max(len(by_day), 1)
    label_every = max(1, len(by_day) // 12)
    body = [f'<line class="axis" x1="{left}" y1="{top + plot_h}" x2="{width - 8}" y2="{top + plot_h}"/>',
            f'<text x="{left - 6}" y="{top + 4}" text-anchor="end">{peak}</text>',
            f'<text x="{left - 6}" y="{top + plot_h}" text-anchor="end">0</text>']
    for n, day in enumerate(by_day):
        bar_h = plot_h * day["count"] / peak
        x = left + n * step
        body.append(f'<rect x="{x + step * 0.1:.1f}" y="{top + plot_h - bar_h:.1f}" width="{max(step * 0.8, 1):.1f}" '
                    f'height="{bar_h:.1f}" fill="{BAR_COLOUR}"><title>{escape(day["day"])}: {day["count"]}</title></rect>')
        if n % label_every == 0:
            body.append(f'<text x="{x + step / 2:.1f}" y="{top + plot_h + 16}" text-anchor="middle">'
                        f'{escape(day["day"][5:])}</text>')
    return _svg(width, height, f"Requests per day, highest {peak}", body)


def ranked_chart(entries: list[dict[str, Any]], name: str, title: str, width: int = 420) -> str:
    """One horizontal bar per value, largest first; past TOP the rest is one bar."""
    shown = entries[:TOP]
    rest = sum(e["count"] for e in entries[TOP:])
    rows = [(str(e[name]), e["count"]) for e in shown] + ([("all others", rest)] if rest else [])
    if not rows:
        return f"<p>No requests: nothing to chart for {escape(title.lower())}.</p>"
    label_w, row_h = 150, 22
    peak = max(count for _, count in rows)
    plot_w = width - label_w - 60
    body = []
    for n, (value, count) in enumerate(rows):
        y = n * row_h
        bar_w = max(plot_w * count / peak, 1)
        body.append(f'<text x="{label_w - 6}" y="{y + 15}" text-anchor="end">{escape(value)}</text>'
                    f'<rect x="{label_w}" y="{y + 3}" width="{bar_w:.1f}" height="{row_h - 6}" fill="{BAR_COLOUR}">'
                    f'<title>{escape(value)}: {count}</title></rect>'
                    f'<text x="{label_w + bar_w + 6:.1f}" y="{y + 15}">{count}</text>')
    return _svg(width, len(rows) * row_h + 4, title, body)


def render(report: dict[str, Any]) -> str:
    period = f"{report['from']} to {report['to']}"
    charts = [("By country", ranked_chart(report["by_country"], "country", "Requests by country")),
              ("By browser family", ranked_chart(report["by_browser"], "browser", "Requests by browser family")),
              ("By operating system family", ranked_chart(report["by_os"], "os", "Requests by OS family"))]
    rows = "".join(f"<tr><td>{escape(r['day'])}</td><td>{escape(r['country'])}</td><td>{escape(r['browser'])}</td>"
                   f"<td>{escape(r['os'])}</td><td class=\"n\">{r['count']}</td></tr>" for r in report["rows"])
    return "\n".join([
        "<!doctype html>", '<html lang="en">', "<head>", '<meta charset="utf-8">',
        f"<title>Access trends, {escape(period)}</title>", f"<style>{STYLE}</style>", "</head>", "<body>",
        f"<h1>Access trends, {escape(period)}</h1>",
        f'<p class="summary">{report["total"]} page requests in {len(report["by_day"])} days (UTC). Anonymous counts: '
        "country from the address, browser and OS family from the User-Agent, by the hour; nothing else is kept.</p>",
        "<h2>Requests per day</h2>", day_chart(report["by_day"]),
        '<div class="charts">', *[f"<section><h2>{title}</h2>{chart}</section>" for title, chart in charts], "</div>",
        "<h2>Every count</h2>",
        "<table><thead><tr><th>Day</th><th>Country</th><th>Browser</th><th>OS</th><th class=\"n\">Requests</th></tr>"
        f"</thead><tbody>{rows}</tbody></table>",
        "</body>", "</html>", ""])


def write_report(report: dict[str, Any], path: Path | None = None) -> Path:
    target = path or OUT / f"access-trends-{report['from']}-to-{report['to']}.html"
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(render(report), encoding="utf-8")
    return target


def main(argv: list[str]) -> int:
    if not argv:
        print("usage: python -m local_stage.access_report report.json [out.html]", file=sys.stderr)
        return 2
    report = json.loads(Path(argv[0]).read_text())
    print(write_report(report, Path(argv[1]) if len(argv) > 1 else None))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
