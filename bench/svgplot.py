# SPDX-License-Identifier: MIT
"""A small dependency-free SVG line chart for bench/run's scaling curves.

line_chart(path, title, xlabel, ylabel, series, xlog=False, vlines=())
draws each series (name, [(x, y), ...]) as a polyline with markers, with
axes, ticks, axis labels (units included by the caller), a legend and
optional vertical markers (x, label). Nothing but the standard library.
"""

import math
from xml.sax.saxutils import escape

WIDTH, HEIGHT = 820, 440
LEFT, RIGHT, TOP, BOTTOM = 78, 240, 48, 62
COLOURS = ["#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e", "#8c564b"]


def _nice_ticks(lo, hi, count=6):
    """Round tick values covering [lo, hi]."""
    if hi <= lo:
        hi = lo + 1
    raw = (hi - lo) / max(1, count - 1)
    mag = 10 ** math.floor(math.log10(raw))
    step = min((m * mag for m in (1, 2, 2.5, 5, 10) if m * mag >= raw), default=10 * mag)
    start = math.floor(lo / step) * step
    ticks, v = [], start
    while v <= hi + step * 1e-9:
        ticks.append(round(v, 10))
        v += step
    if ticks[-1] < hi:
        ticks.append(ticks[-1] + step)
    return ticks


def _fmt(v):
    if v == 0:
        return "0"
    if abs(v) >= 1e6:
        return f"{v / 1e6:g}M"
    if abs(v) >= 1e4:
        return f"{v / 1e3:g}k"
    if abs(v) >= 100:
        return f"{v:,.0f}"
    return f"{v:g}"


def line_chart(path, title, xlabel, ylabel, series, xlog=False, vlines=()):
    points = [p for _, pts in series for p in pts if p[1] is not None]
    if not points:
        points = [(1, 0), (10, 1)]
    xs = [p[0] for p in points] + [v[0] for v in vlines]
    ys = [p[1] for p in points]
    if xlog:
        lo = 10 ** math.floor(math.log10(min(xs)))
        hi = 10 ** math.ceil(math.log10(max(xs)))
        xticks = []
        v = lo
        while v <= hi * 1.0001:
            xticks.append(v)
            v *= 10
        fx = lambda x: (math.log10(x) - math.log10(lo)) / (math.log10(hi) - math.log10(lo))
    else:
        xticks = _nice_ticks(min(0, min(xs)), max(xs))
        lo, hi = xticks[0], xticks[-1]
        fx = lambda x: (x - lo) / (hi - lo)
    yticks = _nice_ticks(0, max(ys) * 1.05 if max(ys) > 0 else 1)
    ylo, yhi = yticks[0], yticks[-1]
    pw, ph = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM
    px = lambda x: LEFT + fx(x) * pw
    py = lambda y: TOP + ph - (y - ylo) / (yhi - ylo) * ph

    out = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{WIDTH}" height="{HEIGHT}" '
        f'viewBox="0 0 {WIDTH} {HEIGHT}" font-family="sans-serif" font-size="12">',
        f'<rect width="{WIDTH}" height="{HEIGHT}" fill="white"/>',
        f'<text x="{LEFT + pw / 2}" y="24" text-anchor="middle" font-size="15" '
        f'font-weight="bold">{escape(title)}</text>',
    ]
    for t in yticks:
        y = py(t)
        out.append(f'<line x1="{LEFT}" y1="{y:.1f}" x2="{LEFT + pw}" y2="{y:.1f}" stroke="#e4e4e4"/>')
        out.append(f'<text x="{LEFT - 6}" y="{y + 4:.1f}" text-anchor="end">{_fmt(t)}</text>')
    for t in xticks:
        x = px(t)
        out.append(f'<line x1="{x:.1f}" y1="{TOP}" x2="{x:.1f}" y2="{TOP + ph}" stroke="#f0f0f0"/>')
        out.append(f'<text x="{x:.1f}" y="{TOP + ph + 18}" text-anchor="middle">{_fmt(t)}</text>')
    out.append(f'<line x1="{LEFT}" y1="{TOP + ph}" x2="{LEFT + pw}" y2="{TOP + ph}" stroke="black"/>')
    out.append(f'<line x1="{LEFT}" y1="{TOP}" x2="{LEFT}" y2="{TOP + ph}" stroke="black"/>')
    out.append(f'<text x="{LEFT + pw / 2}" y="{HEIGHT - 16}" text-anchor="middle">{escape(xlabel)}</text>')
    out.append(f'<text transform="translate(18,{TOP + ph / 2}) rotate(-90)" '
               f'text-anchor="middle">{escape(ylabel)}</text>')
    for x, label in vlines:
        X = px(x)
        out.append(f'<line x1="{X:.1f}" y1="{TOP}" x2="{X:.1f}" y2="{TOP + ph}" '
                   f'stroke="#555" stroke-dasharray="5,4"/>')
        out.append(f'<text x="{X - 4:.1f}" y="{TOP + 12}" text-anchor="end" fill="#555">'
                   f'{escape(label)}</text>')
    for i, (name, pts) in enumerate(series):
        colour = COLOURS[i % len(COLOURS)]
        pts = [(x, y) for x, y in pts if y is not None]
        if pts:
            coords = " ".join(f"{px(x):.1f},{py(y):.1f}" for x, y in pts)
            out.append(f'<polyline points="{coords}" fill="none" stroke="{colour}" stroke-width="2"/>')
            for x, y in pts:
                out.append(f'<circle cx="{px(x):.1f}" cy="{py(y):.1f}" r="3" fill="{colour}">'
                           f'<title>{escape(name)}: x={x:g}, y={y:g}</title></circle>')
        ly = TOP + 10 + i * 20
        out.append(f'<line x1="{LEFT + pw + 14}" y1="{ly}" x2="{LEFT + pw + 38}" y2="{ly}" '
                   f'stroke="{colour}" stroke-width="2"/>')
        out.append(f'<text x="{LEFT + pw + 44}" y="{ly + 4}">{escape(name)}</text>')
    out.append("</svg>")
    with open(path, "w", encoding="utf-8") as f:
        f.write("\n".join(out) + "\n")
