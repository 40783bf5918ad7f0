"""Small SVG charts for the flow page, drawn here (no script library, works offline)."""

from __future__ import annotations

from html import escape

W, H = 560, 200
PAD_L, PAD_R, PAD_T, PAD_B = 48, 12, 14, 34


def _empty(title: str) -> str:
    return f'<p class="empty">{escape(title)}: no finished runs yet.</p>'


def _frame(title: str, body: list[str], top: float, unit: str) -> str:
    axis = [
        f'<line class="axis" x1="{PAD_L}" y1="{H - PAD_B}" x2="{W - PAD_R}" y2="{H - PAD_B}"/>',
        f'<line class="axis" x1="{PAD_L}" y1="{PAD_T}" x2="{PAD_L}" y2="{H - PAD_B}"/>',
        f'<text class="tick" x="{PAD_L - 4}" y="{PAD_T + 4}" text-anchor="end">{top:.3g}{escape(unit)}</text>',
        f'<text class="tick" x="{PAD_L - 4}" y="{H - PAD_B}" text-anchor="end">0</text>',
    ]
    return (
        f'<svg class="chart" xmlns="http://www.w3.org/2000/svg" width="{W}" height="{H}" viewBox="0 0 {W} {H}" '
        f'role="img" aria-label="{escape(title)}">' + "".join(axis + body) + "</svg>"
    )


def _x(i: int, n: int) -> float:
    span = W - PAD_L - PAD_R
    return PAD_L + (span * (i + 0.5) / n)


def _y(value: float, top: float) -> float:
    return H - PAD_B - (H - PAD_T - PAD_B) * (value / top if top else 0)


def lines(title: str, days: list[str], series: dict[str, list[float]], unit: str = "s") -> str:
    """One line per series over the days (MTTR p50 and p90)."""
    if not days:
        return _empty(title)
    top = max((v for values in series.values() for v in values), default=0) or 1.0
    body: list[str] = []
    for index, (name, values) in enumerate(series.items()):
        points = " ".join(f"{_x(i, len(days)):.1f},{_y(v, top):.1f}" for i, v in enumerate(values))
        body.append(f'<polyline class="series s{index}" points="{points}"><title>{escape(name)}</title></polyline>')
        for i, v in enumerate(values):
            body.append(
                f'<circle class="series s{index}" cx="{_x(i, len(days)):.1f}" cy="{_y(v, top):.1f}" r="3">'
                f"<title>{escape(days[i])} {escape(name)}: {v:.1f}{escape(unit)}</title></circle>"
            )
        body.append(f'<text class="legend s{index}" x="{PAD_L + 8 + index * 90}" y="{PAD_T + 2}">{escape(name)}</text>')
    body += _day_labels(days)
    return _frame(title, body, top, unit)


def columns(title: str, days: list[str], values: list[float], unit: str = "%", top: float = 100.0) -> str:
    if not days:
        return _empty(title)
    width = max(4.0, (W - PAD_L - PAD_R) / len(days) * 0.6)
    body = [
        f'<rect class="bar" x="{_x(i, len(days)) - width / 2:.1f}" y="{_y(v, top):.1f}" width="{width:.1f}" '
        f'height="{H - PAD_B - _y(v, top):.1f}"><title>{escape(days[i])}: {v:.0f}{escape(unit)}</title></rect>'
        for i, v in enumerate(values)
    ]
    return _frame(title, body + _day_labels(days), top, unit)


def bars(title: str, rows: list[tuple[str, float, float]], unit: str = "s") -> str:
    """Horizontal bars, one row per node: p50 filled, max as a thin line."""
    if not rows:
        return _empty(title)
    row_h, label_w = 22, 180
    height = PAD_T + len(rows) * row_h + 8
    top = max(m for _, _, m in rows) or 1.0
    span = W - label_w - PAD_R - 60
    body = []
    for i, (name, p50, most) in enumerate(rows):
        y = PAD_T + i * row_h
        body.append(f'<text class="label" x="{label_w - 6}" y="{y + 14}" text-anchor="end">{escape(name[:28])}</text>')
        body.append(
            f'<rect class="bar" x="{label_w}" y="{y + 3}" width="{max(1.0, span * p50 / top):.1f}" height="14">'
            f"<title>{escape(name)}: p50 {p50:.2f}{escape(unit)}, max {most:.2f}{escape(unit)}</title></rect>"
        )
        x_max = label_w + span * most / top
        body.append(f'<line class="max" x1="{x_max:.1f}" y1="{y + 1}" x2="{x_max:.1f}" y2="{y + 19}"/>')
        body.append(f'<text class="tick" x="{x_max + 6:.1f}" y="{y + 14}">{p50:.2f} / {most:.2f}{escape(unit)}</text>')
    return (
        f'<svg class="chart" xmlns="http://www.w3.org/2000/svg" width="{W}" height="{height}" '
        f'viewBox="0 0 {W} {height}" role="img" aria-label="{escape(title)}">' + "".join(body) + "</svg>"
    )


def _day_labels(days: list[str]) -> list[str]:
    step = max(1, len(days) // 6)
    return [
        f'<text class="tick" x="{_x(i, len(days)):.1f}" y="{H - PAD_B + 16}" text-anchor="middle">{escape(d[5:])}</text>'
        for i, d in enumerate(days)
        if i % step == 0
    ]
