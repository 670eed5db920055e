"""The HTML report's charts of the policy's health, as inline SVG: no script, no font or
style sheet to fetch, readable in print (every bar carries its value as text, not only as
a colour). Each bar names its figure and value in ``data-figure``, ``data-key`` and
``data-value``, so a test can read the chart back and compare it with the JSON report."""

from __future__ import annotations

from html import escape
from typing import Any

BAR = "#1f75cb"


def _number(value: float | int) -> str:
    return f"{value:g}"


def bars(points: list[tuple[str, float | int | None]], figure: str, caption: str, unit: str = "",
         width: int = 420, height: int = 180) -> str:
    """A vertical bar chart, one bar a key; a key without a value shows a dash and no bar."""
    top = max((v for _, v in points if v is not None), default=0) or 1
    left, bottom, inner_h = 10, height - 34, height - 60
    step = (width - 2 * left) / max(len(points), 1)
    shapes = []
    for index, (key, value) in enumerate(points):
        x = left + index * step + step * 0.15
        w = step * 0.7
        label = f'<text x="{x + w / 2:.1f}" y="{height - 18}" text-anchor="middle">{escape(key)}</text>'
        if value is None:
            shapes.append(f'<text x="{x + w / 2:.1f}" y="{bottom - 4}" text-anchor="middle" data-figure="{figure}" '
                          f'data-key="{escape(key)}" data-value="none">–</text>{label}')
            continue
        h = inner_h * value / top
        shapes.append(
            f'<rect x="{x:.1f}" y="{bottom - h:.1f}" width="{w:.1f}" height="{h:.1f}" fill="{BAR}" '
            f'data-figure="{figure}" data-key="{escape(key)}" data-value="{_number(value)}">'
            f"<title>{escape(key)}: {_number(value)}{escape(unit)}</title></rect>"
            f'<text x="{x + w / 2:.1f}" y="{bottom - h - 4:.1f}" text-anchor="middle">{_number(value)}{escape(unit)}'
            f"</text>{label}"
        )
    axis = f'<path d="M{left},{bottom} H{width - left}" stroke="#888"/>'
    return (f'<figure><svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" role="img" '
            f'font-size="11" aria-label="{escape(caption)}">{axis}{"".join(shapes)}</svg>'
            f"<figcaption>{escape(caption)}</figcaption></figure>")


def rule_bars(rules: list[dict[str, Any]], width: int = 640) -> str:
    """How long each rule's violations stay open: a horizontal bar a rule, its meaning beside it."""
    row, label_w = 34, 70
    top = max((r["median_days_open"] or 0 for r in rules), default=0) or 1
    height = 20 + row * len(rules)
    shapes = []
    for index, item in enumerate(rules):
        y = 10 + index * row
        value = item["median_days_open"]
        code = escape(item["rule"])
        shapes.append(f'<text x="0" y="{y + 13}" font-weight="bold">{code}</text>')
        meaning = f'<text x="{label_w}" y="{y + 30}" fill="#555">{escape(item["means"])}</text>'
        if value is None:
            shapes.append(f'<text x="{label_w}" y="{y + 13}" data-figure="median_days_open" data-key="{code}" '
                          f'data-value="none">no due date</text>{meaning}')
            continue
        w = (width - label_w - 160) * value / top
        longest = item["longest_days_open"]
        shapes.append(
            f'<rect x="{label_w}" y="{y + 2}" width="{w:.1f}" height="14" fill="{BAR}" data-figure="median_days_open" '
            f'data-key="{code}" data-value="{_number(value)}"><title>{code}: {_number(value)} day(s)</title></rect>'
            f'<text x="{label_w + w + 6:.1f}" y="{y + 13}">{_number(value)} day(s), longest {longest}, '
            f'{item["open"]} open</text>{meaning}'
        )
    caption = "How long violations stay open, by rule (median days since due)"
    return (f'<figure><svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" role="img" '
            f'font-size="12" aria-label="{caption}">{"".join(shapes)}</svg><figcaption>{caption}</figcaption></figure>')


def health_section(figures: dict[str, Any]) -> str:
    months = figures["months"]
    if not months:
        return ""
    charts = [
        bars([(m["month"], m["filed"]) for m in months], "filed", "Incidents filed, by month"),
        bars([(m["month"], m["median_days_to_close"]) for m in months], "median_days_to_close",
             "Median days from filing to closing", " d"),
        bars([(m["month"], m["median_days_close_to_post_mortem"]) for m in months],
             "median_days_close_to_post_mortem", "Median days from closing to the post-mortem", " d"),
        bars([(m["month"], m["median_days_post_mortem_to_approval"]) for m in months],
             "median_days_post_mortem_to_approval", "Median days from the post-mortem to its approval", " d"),
        bars([(m["month"], round(100 * m["compliant_share"])) for m in months], "compliant_share",
             "Incidents fully compliant (%), by month filed", "%"),
    ]
    parts = ["<h2>The policy's health</h2>", '<div class="charts">', *charts, "</div>"]
    if figures["rules"]:
        parts.append(rule_bars(figures["rules"]))
    return "\n".join(parts)
