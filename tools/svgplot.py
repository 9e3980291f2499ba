"""Small, dependency-free SVG charts: a line chart and a stacked bar chart.

Plain SVG 1.1 (no scripts, no CSS, font sans-serif) on a white background, so GitHub's viewer
and any browser show it the same in light and dark mode. The output is a pure function of the
input (no dates, no random ids): the same data gives the same bytes, and a re-plotted file
shows in a diff only where its data changed.

    from svgplot import Series, HLine, line_chart
    svg = line_chart([Series("RSS", [(0, 120.0), (60, 131.5)])], title="Server memory",
                     x_label="time (s)", y_label="RSS (MiB)")

Structure (what tools/test_plot_load.py reads): each series is a `<g class="series">` with a
`<title>` (its label) and one `<polyline>` (data points, in order); the legend is
`<g class="legend">`; a reference line is `<g class="hline">`; in a bar chart each stacked part
is a `<rect class="bar">` whose `<title>` holds "category / part: value".
"""

import math
from dataclasses import dataclass, field
from xml.sax.saxutils import escape

# Tableau 10: distinct, and readable for the common colour-vision deficiencies.
PALETTE = ["#4e79a7", "#f28e2b", "#e15759", "#76b7b2", "#59a14f",
           "#edc948", "#b07aa1", "#ff9da7", "#9c755f", "#bab0ac"]
FONT = 12
CHAR_W = 6.8  # rough width of one character at FONT px, for layout


@dataclass
class Series:
    """One line: a label for the legend and (x, y) points; None or (log axes) <= 0 are skipped."""
    label: str
    points: list
    color: str = ""
    dash: bool = False


@dataclass
class HLine:
    """A horizontal reference line (a target, a budget) with its label."""
    y: float
    label: str
    color: str = "#c00000"


@dataclass
class _Axis:
    lo: float
    hi: float
    log: bool
    ticks: list = field(default_factory=list)

    def frac(self, v):
        if self.log:
            return (math.log10(v) - math.log10(self.lo)) / (math.log10(self.hi) - math.log10(self.lo))
        return (v - self.lo) / (self.hi - self.lo)


def fmt(v):
    """A tick label: thousands separated, no trailing zeros (1,000; 2.5; 0.05)."""
    if v == 0:
        return "0"
    if abs(v) >= 1:
        s = f"{v:,.2f}".rstrip("0").rstrip(".")
    else:
        s = f"{v:.4g}"
    return s


def nice_ticks(lo, hi, n=5):
    """Evenly spaced round ticks (steps of 1, 2 or 5 x 10^k) covering lo..hi."""
    if hi <= lo:
        hi = lo + (abs(lo) or 1.0)
    raw = (hi - lo) / n
    mag = 10 ** math.floor(math.log10(raw))
    step = next(m * mag for m in (1, 2, 5, 10) if m * mag >= raw)
    first = math.floor(lo / step + 1e-9)
    last = math.ceil(hi / step - 1e-9)
    return [round(i * step, 12) for i in range(first, last + 1)]


def log_ticks(lo, hi):
    """Ticks at 1, 2 and 5 x 10^k covering lo..hi (both > 0); only the powers of ten if the
    range spans more than three decades."""
    steps = (1, 2, 5) if math.log10(hi / lo) <= 3 else (1,)
    cands = [m * 10.0 ** e for e in range(math.floor(math.log10(lo)) - 1, math.ceil(math.log10(hi)) + 2)
             for m in steps]
    cands = [round(c, 12) for c in cands]
    below = [c for c in cands if c <= lo * (1 + 1e-9)]
    above = [c for c in cands if c >= hi * (1 - 1e-9)]
    start, end = below[-1], above[0]
    return [c for c in cands if start <= c <= end]


def _axis(values, log, lo=None, hi=None, zero=True, pad=False):
    values = [v for v in values if v is not None and (v > 0 or not log)]
    if not values:
        values = [1.0]
    vlo = min(values) if lo is None else lo
    vhi = max(values) if hi is None else hi
    if log:
        if vhi <= vlo:
            vhi = vlo * 10
        ticks = log_ticks(vlo, vhi)
    else:
        if zero and lo is None and vlo > 0:
            vlo = 0.0
        if pad and hi is None:
            vhi += 0.04 * (vhi - vlo)  # a point or a target at the maximum stays off the frame
        ticks = nice_ticks(vlo, vhi)
        if lo is not None:
            ticks = [t for t in ticks if t >= lo - 1e-9]
            if ticks[0] > lo:
                ticks.insert(0, lo)
        if hi is not None:
            ticks = [t for t in ticks if t <= hi + 1e-9]
            if ticks[-1] < hi:
                ticks.append(hi)
    return _Axis(ticks[0], ticks[-1], log, ticks)


def _text(x, y, s, anchor="start", size=FONT, weight=None, extra=""):
    w = f' font-weight="{weight}"' if weight else ""
    return (f'<text x="{x:.1f}" y="{y:.1f}" text-anchor="{anchor}" font-size="{size}"{w}{extra}>'
            f"{escape(s)}</text>")


class _Frame:
    """Canvas, title, plot area, grid, axes with ticks and labels, legend."""

    def __init__(self, width, height, title, x_label, y_label, legend):
        self.w, self.h = width, height
        legend_w = (max((len(label) for label, _, _ in legend), default=0) * CHAR_W + 34) if legend else 0
        self.left, self.top = 70, 40
        self.right = width - 16 - legend_w
        self.bottom = height - 50
        self.out = [
            f'<svg xmlns="http://www.w3.org/2000/svg" version="1.1" width="{width}" height="{height}" '
            f'viewBox="0 0 {width} {height}" font-family="sans-serif" font-size="{FONT}">',
            f'<rect width="{width}" height="{height}" fill="#ffffff"/>',
            _text(width / 2, 22, title, "middle", 15, "bold"),
            _text(self.left + (self.right - self.left) / 2, height - 12, x_label, "middle"),
            _text(16, self.top + (self.bottom - self.top) / 2, y_label, "middle",
                  extra=f' transform="rotate(-90 16 {self.top + (self.bottom - self.top) / 2:.1f})"'),
        ]
        self.legend = legend

    def px(self, ax, v):
        return self.left + ax.frac(v) * (self.right - self.left)

    def py(self, ay, v):
        return self.bottom - ay.frac(v) * (self.bottom - self.top)

    def grid_y(self, ay):
        out = ['<g class="grid" stroke="#dddddd" stroke-width="1">']
        labels = []
        for t in ay.ticks:
            y = self.py(ay, t)
            out.append(f'<line x1="{self.left}" y1="{y:.1f}" x2="{self.right:.1f}" y2="{y:.1f}"/>')
            labels.append(_text(self.left - 6, y + 4, fmt(t), "end"))
        out.append("</g>")
        self.out += out + labels

    def grid_x(self, ax):
        out = ['<g class="grid" stroke="#dddddd" stroke-width="1">']
        labels = []
        for t in ax.ticks:
            x = self.px(ax, t)
            out.append(f'<line x1="{x:.1f}" y1="{self.top}" x2="{x:.1f}" y2="{self.bottom}"/>')
            labels.append(_text(x, self.bottom + 16, fmt(t), "middle"))
        out.append("</g>")
        self.out += out + labels

    def border(self):
        self.out.append(f'<rect x="{self.left}" y="{self.top}" width="{self.right - self.left:.1f}" '
                        f'height="{self.bottom - self.top}" fill="none" stroke="#444444"/>')

    def finish(self):
        if self.legend:
            self.out.append('<g class="legend">')
            x = self.right + 14
            for i, (label, color, kind) in enumerate(self.legend):
                y = self.top + 8 + i * 18
                if kind == "box":
                    self.out.append(f'<rect x="{x:.1f}" y="{y - 5:.1f}" width="14" height="10" fill="{color}"/>')
                else:
                    dash = ' stroke-dasharray="5,3"' if kind == "dash" else ""
                    self.out.append(f'<line x1="{x:.1f}" y1="{y:.1f}" x2="{x + 18:.1f}" y2="{y:.1f}" '
                                    f'stroke="{color}" stroke-width="2"{dash}/>')
                self.out.append(_text(x + 24, y + 4, label))
            self.out.append("</g>")
        self.out.append("</svg>")
        return "\n".join(self.out) + "\n"


def line_chart(series, *, title, x_label, y_label, log_x=False, log_y=False, hlines=(),
               x_range=(None, None), y_range=(None, None), width=760, height=420):
    """An SVG line chart of `series` (a list of Series) with axes, ticks, grid, legend, title
    and axis labels (put the unit in the label: "tick time (ms)"). Linear axes start at 0 for
    positive data unless a range is given; `hlines` (HLine) are drawn across the plot and
    listed in the legend. Raises ValueError if no series has a point to draw."""
    def ok(x, y):
        return (x is not None and y is not None and (x > 0 or not log_x) and (y > 0 or not log_y))

    drawn = [(s, [(x, y) for x, y in s.points if ok(x, y)]) for s in series]
    drawn = [(s, pts) for s, pts in drawn if pts]
    if not drawn:
        raise ValueError(f"{title}: nothing to plot (no series has a point)")
    colors = {}
    for i, (s, _) in enumerate(drawn):
        colors[id(s)] = s.color or PALETTE[i % len(PALETTE)]
    ax = _axis([x for _, pts in drawn for x, _ in pts], log_x, *x_range)
    ay = _axis([y for _, pts in drawn for _, y in pts] + [h.y for h in hlines], log_y, *y_range, pad=True)
    legend = [(s.label, colors[id(s)], "dash" if s.dash else "line") for s, _ in drawn]
    legend += [(h.label, h.color, "dash") for h in hlines]
    f = _Frame(width, height, title, x_label, y_label, legend)
    f.grid_y(ay)
    f.grid_x(ax)
    f.border()
    for h in hlines:
        y = f.py(ay, h.y)
        f.out.append(f'<g class="hline"><title>{escape(h.label)}</title>'
                     f'<line x1="{f.left}" y1="{y:.1f}" x2="{f.right:.1f}" y2="{y:.1f}" '
                     f'stroke="{h.color}" stroke-width="1.5" stroke-dasharray="6,4"/></g>')
    for s, pts in drawn:
        color = colors[id(s)]
        dash = ' stroke-dasharray="5,3"' if s.dash else ""
        coords = " ".join(f"{f.px(ax, x):.1f},{f.py(ay, y):.1f}" for x, y in pts)
        f.out.append(f'<g class="series"><title>{escape(s.label)}</title>')
        f.out.append(f'<polyline points="{coords}" fill="none" stroke="{color}" stroke-width="2"{dash}/>')
        if len(pts) <= 60:
            for x, y in pts:
                f.out.append(f'<circle cx="{f.px(ax, x):.1f}" cy="{f.py(ay, y):.1f}" r="3" fill="{color}"/>')
        f.out.append("</g>")
    return f.finish()


def bar_chart(categories, parts, *, title, x_label, y_label, hlines=(), width=760, height=420):
    """An SVG stacked bar chart: one bar per category (a label; "\\n" breaks it into lines),
    made of `parts` = [(label, [value per category])] stacked bottom to top in that order."""
    if not categories or not parts:
        raise ValueError(f"{title}: nothing to plot")
    totals = [sum(vals[i] or 0 for _, vals in parts) for i in range(len(categories))]
    ay = _axis(totals + [h.y for h in hlines], False, pad=True)
    legend = [(label, PALETTE[i % len(PALETTE)], "box") for i, (label, _) in reversed(list(enumerate(parts)))]
    legend += [(h.label, h.color, "dash") for h in hlines]
    f = _Frame(width, height, title, x_label, y_label, legend)
    f.bottom -= 14 * (max(c.count("\n") for c in categories))
    f.grid_y(ay)
    slot = (f.right - f.left) / len(categories)
    bar_w = min(60.0, slot * 0.6)
    f.border()
    for i, cat in enumerate(categories):
        x = f.left + slot * (i + 0.5)
        base = 0.0
        for j, (label, vals) in enumerate(parts):
            v = vals[i] or 0
            if v <= 0:
                continue
            y0, y1 = f.py(ay, base), f.py(ay, base + v)
            name = cat.replace("\n", " ")
            f.out.append(f'<rect class="bar" x="{x - bar_w / 2:.1f}" y="{y1:.1f}" width="{bar_w:.1f}" '
                         f'height="{y0 - y1:.1f}" fill="{PALETTE[j % len(PALETTE)]}">'
                         f"<title>{escape(name)} / {escape(label)}: {fmt(round(v, 2))}</title></rect>")
            base += v
        for k, line in enumerate(cat.split("\n")):
            f.out.append(_text(x, f.bottom + 16 + 14 * k, line, "middle"))
    for h in hlines:
        y = f.py(ay, h.y)
        f.out.append(f'<g class="hline"><title>{escape(h.label)}</title>'
                     f'<line x1="{f.left}" y1="{y:.1f}" x2="{f.right:.1f}" y2="{y:.1f}" '
                     f'stroke="{h.color}" stroke-width="1.5" stroke-dasharray="6,4"/></g>')
    return f.finish()


def stack(charts, *, title=None):
    """One SVG of charts (outputs of line_chart or bar_chart) one above the other, each kept
    whole as a nested <svg>; `title` adds a heading above them."""
    if not charts:
        raise ValueError("stack: no charts")
    head = 30 if title else 0
    parts, y, width = [], head, 0
    opening = '<svg xmlns="http://www.w3.org/2000/svg" '
    for svg in charts:
        if not svg.startswith(opening):
            raise ValueError("stack: not a chart of this module")
        tag = svg[:svg.index(">")]
        w = float(tag.split(' width="')[1].split('"')[0])
        h = float(tag.split(' height="')[1].split('"')[0])
        parts.append(f'<svg x="0" y="{y:g}" ' + svg[len(opening):].rstrip("\n"))
        y += h
        width = max(width, w)
    out = [f'<svg xmlns="http://www.w3.org/2000/svg" version="1.1" width="{width:g}" height="{y:g}" '
           f'viewBox="0 0 {width:g} {y:g}" font-family="sans-serif" font-size="{FONT}">',
           f'<rect width="{width:g}" height="{y:g}" fill="#ffffff"/>']
    if title:
        out.append(_text(width / 2, 22, title, "middle", 16, "bold"))
    return "\n".join(out + parts + ["</svg>"]) + "\n"
