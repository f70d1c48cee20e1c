"""Geometry of the pack, shared by the PowerPoint and PDF writers (pure: no office library).

Text is measured with the metrics of Helvetica (the same widths as Arial and Liberation Sans, the
default pack's font) times a safety factor for a template's own fonts, so a table's columns are
wide enough for their longest word, a cell wraps between words only, and a long table is split
over several slides instead of running off one. Bubble labels are placed where they collide with
no other label and stay inside the plot.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from reportlab.pdfbase.pdfmetrics import stringWidth

SAFETY = 1.08          # a template's font may be somewhat wider than Helvetica
LINE = 1.22            # line height as a multiple of the font size


def text_width(text: str, size: float, bold: bool = False) -> float:
    """Width in points of ``text`` at ``size`` points."""
    return stringWidth(text, "Helvetica-Bold" if bold else "Helvetica", size) * SAFETY


def wrap(text: str, width: float, size: float, bold: bool = False) -> list[str]:
    """``text`` broken into lines no wider than ``width`` points, between words only (a word
    wider than the line keeps a line of its own; callers make columns wide enough)."""
    lines: list[str] = []
    for para in str(text).split("\n"):
        line = ""
        for word in para.split(" "):
            trial = f"{line} {word}" if line else word
            if line and text_width(trial, size, bold) > width:
                lines.append(line)
                line = word
            else:
                line = trial
        lines.append(line)
    return lines


def shorten(text: str, width: float, size: float, bold: bool = False) -> str:
    """``text`` cut at a word with an ellipsis so it fits ``width`` points on one line."""
    if text_width(text, size, bold) <= width:
        return text
    words = text.split(" ")
    while len(words) > 1 and text_width(" ".join(words) + " …", size, bold) > width:
        words.pop()
    out = " ".join(words)
    while len(out) > 1 and text_width(out + "…", size, bold) > width:
        out = out[:-1]
    return out.rstrip() + "…"


def title_size(text: str, width: float, height: float, start: float, smallest: float = 18) -> float:
    """The largest font size from ``start`` down to ``smallest`` at which ``text`` fits in the
    box (``width`` x ``height`` points) in at most two lines."""
    size = start
    while size > smallest:
        lines = wrap(text, width, size, bold=True)
        if len(lines) <= 2 and len(lines) * size * LINE <= height:
            break
        size -= 1
    return size


# ------------------------------------------------------------------ tables

@dataclass
class TableFit:
    size: float                        # font size in points
    widths: list[float]                # column widths in points
    pages: list[list[int]]             # row indexes (header excluded) per slide
    row_heights: list[float]           # per data row, at ``size``
    header_height: float
    pad_x: float
    pad_y: float
    fits: bool = True                  # every column holds its longest word at ``size``


def _fit_at(header, rows, width, height, nowrap, size, keep_last) -> TableFit:
    n = len(header)
    pad_x, pad_y = size * 0.55, size * 0.3
    need, want = [], []
    for j in range(n):
        cells = [r[j] for r in rows]
        words = [w for c in cells for w in str(c).split(" ")]
        longest = max([text_width(w, size) for w in words]
                      + [text_width(w, size, True) for w in str(header[j]).split(" ")], default=0)
        if nowrap[j]:                      # a number or a period never wraps
            longest = max([longest] + [text_width(str(c), size) for c in cells])
        full = max([text_width(str(c), size) for c in cells] + [text_width(str(header[j]), size, True)])
        need.append(longest + 2 * pad_x)
        want.append(full + 2 * pad_x)
    # the space left goes to the columns that would wrap, in proportion to what they lack
    widths = list(need)
    spare = width - sum(widths)
    if spare > 0:
        lack = [max(0.0, w - nd) for w, nd in zip(want, need)]
        total = sum(lack)
        if total > 0:
            for j in range(n):
                widths[j] += min(lack[j], spare * lack[j] / total)
        spare = width - sum(widths)
        text_cols = [j for j in range(n) if not nowrap[j]] or list(range(n))
        for j in text_cols:
            widths[j] += spare / len(text_cols)
    fits = sum(widths) <= width + 0.5
    if not fits:                           # even the smallest size is too wide: scaled (long words are cut)
        widths = [w * width / sum(widths) for w in widths]

    def lines_of(cells: list[str], bold: bool = False) -> int:
        return max(len(wrap(str(c), w - 2 * pad_x, size, bold)) for c, w in zip(cells, widths))

    header_height = lines_of(header, True) * size * LINE + 2 * pad_y
    row_heights = [lines_of(r) * size * LINE + 2 * pad_y for r in rows]
    pages: list[list[int]] = [[]]
    used = header_height
    for i, h in enumerate(row_heights):
        if pages[-1] and used + h > height:
            pages.append([])
            used = header_height
        pages[-1].append(i)
        used += h
    if keep_last and len(pages) > 1 and len(pages[-1]) == 1 and len(pages[-2]) > 1:
        pages[-1].insert(0, pages[-2].pop())     # a total row never stands alone
    return TableFit(size, widths, pages, row_heights, header_height, pad_x, pad_y, fits)


def fit_table(header: list[str], rows: list[list[str]], width: float, height: float, *,
              nowrap: list[bool] | None = None, largest: float = 14, smallest: float = 9,
              keep_last: bool = False) -> TableFit:
    """Font size, column widths and slides for a table of texts in a ``width`` x ``height`` box
    (points): every column holds its longest word (numbers and periods on one line) and the
    whole width is used; the largest size that needs one slide, else the largest with the
    fewest slides; the rows that do not fit go to the next slide (the header repeats).
    ``keep_last`` keeps a total row with the rows before it."""
    nowrap = nowrap or [False] * len(header)
    best = None
    size = largest
    while size >= smallest:
        fit = _fit_at(header, rows, width, height, nowrap, size, keep_last)
        if fit.fits and len(fit.pages) == 1:
            return fit
        if fit.fits and (best is None or len(fit.pages) < len(best.pages)):
            best = fit
        size -= 0.5
    return best or _fit_at(header, rows, width, height, nowrap, smallest, keep_last)


# ------------------------------------------------------------------ bubble labels

@dataclass
class Label:
    position: str      # 'above', 'below', 'right', 'left', 'center'
    text: str          # the name (at most two lines), or its number in the table when no place is free
    box: tuple[float, float, float, float]


def place_labels(points: list[tuple[float, float, float]], names: list[str], numbers: list[str], *,
                 plot: tuple[float, float, float, float], size: float, max_width: float) -> list[Label]:
    """A label per bubble. ``points`` are (x, y, radius) in points inside ``plot`` (left, top,
    width, height; y grows downwards). Largest bubbles first, each name takes the first of
    above, below, right, left that stays inside the plot and overlaps no label already placed
    nor covers another bubble; when none is free the bubble shows its number from the table (the
    writers draw small bubbles over large ones, so the number is seen)."""
    left, top, width, height = plot
    order = sorted(range(len(points)), key=lambda i: -points[i][2])
    placed: list[tuple[float, float, float, float]] = []
    out: dict[int, Label] = {}
    gap = size * 0.25

    def inside(b):
        return b[0] >= left and b[1] >= top and b[0] + b[2] <= left + width and b[1] + b[3] <= top + height

    def hits(b, other):
        return not (b[0] + b[2] <= other[0] or other[0] + other[2] <= b[0] or
                    b[1] + b[3] <= other[1] or other[1] + other[3] <= b[1])

    def on_disc(b, k):
        """Whether box ``b`` covers part of bubble k (its disc a little shrunk)."""
        cx, cy, r = points[k]
        nx, ny = min(max(cx, b[0]), b[0] + b[2]), min(max(cy, b[1]), b[1] + b[3])
        return math.hypot(cx - nx, cy - ny) < max(r * 0.92, 2.0)

    for i in order:
        x, y, r = points[i]
        lines = wrap(names[i].split(" (")[0], max_width, size)
        if len(lines) > 2:                  # two lines at most, the second cut at a word
            lines = [lines[0], shorten(" ".join(lines[1:]), max_width, size)]
        lines = [shorten(line, max_width, size) for line in lines]
        text = "\n".join(lines)
        w = max(text_width(line, size) for line in lines)
        h = len(lines) * size * LINE
        boxes = {"above": (x - w / 2, y - r - gap - h, w, h), "below": (x - w / 2, y + r + gap, w, h),
                 "right": (x + r + gap, y - h / 2, w, h), "left": (x - r - gap - w, y - h / 2, w, h)}
        choice = next((p for p, b in boxes.items()
                       if inside(b) and not any(hits(b, o) for o in placed)
                       and not any(on_disc(b, k) for k in range(len(points)) if k != i)), None)
        if choice is None:
            num = numbers[i]
            nw = text_width(num, size)
            out[i] = Label("center", num, (x - nw / 2, y - size * LINE / 2, nw, size * LINE))
        else:
            out[i] = Label(choice, text, boxes[choice])
            placed.append(out[i].box)
    return [out[i] for i in range(len(points))]


def bubble_radii(sizes: list[float], largest: float) -> list[float]:
    """Radii with the bubble's area proportional to its size; the largest gets ``largest``."""
    top = max([s for s in sizes if s > 0], default=1.0)
    return [largest * math.sqrt(max(s, 0.0) / top) for s in sizes]
