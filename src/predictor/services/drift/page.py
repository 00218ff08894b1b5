"""``drift.html``: a drift report as one self-contained page (inline style, no script, no
external asset), a table per column, the statistics over their threshold marked."""

from __future__ import annotations

from html import escape

from predictor.domain.drift import ColumnDrift
from predictor.services.drift.summary import DriftReport

STYLE = """
body { font-family: system-ui, sans-serif; margin: 2rem; color: #222; }
table { border-collapse: collapse; margin: 0.5rem 0 1.5rem; }
th, td { border: 1px solid #ccc; padding: 0.25rem 0.6rem; text-align: right; }
th:first-child, td:first-child { text-align: left; }
.flagged { background: #fde2e1; font-weight: bold; }
.ok { color: #2b6a2b; }
.drift { color: #b3261e; }
"""


def render_page(report: DriftReport) -> str:
    """The whole page."""
    verdict = (
        f'<p class="drift">Drift: {escape(", ".join(report.flagged) or "none in the features")}'
        f"{'; the predictions drifted' if report.prediction.flags else ''}.</p>"
        if report.drifted
        else '<p class="ok">No threshold crossed.</p>'
    )
    limits = report.thresholds
    since = report.since.isoformat() if report.since is not None else "the first captured row"
    head = (
        f"<h1>Drift of {escape(report.model)} version {escape(report.version)}</h1>{verdict}"
        f"<p>{report.rows:,} captured rows under {escape(report.captured)} since {escape(since)} (until "
        f"{escape(report.made.isoformat())}), against {report.reference_rows:,} training rows. Thresholds: "
        f"PSI &gt; {limits.psi:g}, KS &gt; {limits.ks:g}, share change &gt; {limits.shares:g}, "
        f"missing-rate change &gt; {limits.missing:g}.</p>{_left_out(report)}"
    )
    sections = [_summary(report), *(_column(c) for c in (*report.features, report.prediction))]
    return (
        '<!DOCTYPE html><html lang="en"><head><meta charset="utf-8">'
        f"<title>Drift: {escape(report.model)} {escape(report.version)}</title><style>{STYLE}</style>"
        f"</head><body>{head}{''.join(sections)}</body></html>\n"
    )


def _left_out(report: DriftReport) -> str:
    if not report.left_out:
        return ""
    rows = ", ".join(f"{n:,} of {v}" for v, n in report.left_out.items())
    return f"<p>Left out, as rows of other model versions (encoded their own way): {escape(rows)}.</p>"


def _number(value: float | None) -> str:
    return "" if value is None else f"{value:.4f}"


def _summary(report: DriftReport) -> str:
    rows = "".join(_summary_row(c) for c in (*report.features, report.prediction))
    return (
        "<h2>Summary</h2><table><tr><th>column</th><th>kind</th><th>PSI</th><th>KS</th><th>share change</th>"
        f"<th>missing (training)</th><th>missing (captured)</th><th>over threshold</th></tr>{rows}</table>"
    )


def _summary_row(column: ColumnDrift) -> str:
    cells = [escape(column.name), escape(column.kind), _number(column.psi), _number(column.ks)]
    cells += [_number(column.share_change), _number(column.missing[0]), _number(column.missing[1])]
    cells.append(escape(", ".join(column.flags)))
    return _row(cells, flagged=bool(column.flags))


def _row(cells: list[str], flagged: bool = False) -> str:
    marked = ' class="flagged"' if flagged else ""
    return f"<tr{marked}>" + "".join(f"<td>{cell}</td>" for cell in cells) + "</tr>"


def _column(column: ColumnDrift) -> str:
    rows = "".join(
        _row([escape(label), f"{reference:.4f}", f"{live:.4f}", f"{live - reference:+.4f}"])
        for label, reference, live in column.shares
    )
    marked = " (over threshold: " + ", ".join(column.flags) + ")" if column.flags else ""
    heading = ' class="drift"' if column.flags else ""
    title = f"<h2{heading}>{escape(column.name)}{escape(marked)}</h2>"
    return (
        f"{title}<table><tr><th>bin or category</th><th>training share</th><th>captured share</th>"
        f"<th>change</th></tr>{rows}</table>"
    )
