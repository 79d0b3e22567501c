"""The HTML shared by the run and sweep reports: one style sheet, tables and the page frame."""

from __future__ import annotations

import base64
import html
import io
import math
from pathlib import Path

from slopscope.store import atomic_write_bytes

CSS = """body { font-family: sans-serif; max-width: 1100px; margin: 2em auto; color: #222; }
table { border-collapse: collapse; } td, th { border: 1px solid #ccc; padding: 4px 8px; }
td.holds { color: #070; font-weight: bold; } td.not, td.reversed { color: #a50; }
td.untrusted { color: #777; font-style: italic; }
img { max-width: 100%; } figcaption { font-size: 0.85em; color: #444; max-width: 900px; }
pre { white-space: pre-wrap; font-size: 0.8em; }"""


def escape(value) -> str:
    return html.escape(str(value))


def table(rows, header=None, classes=None) -> str:
    """An HTML table of cells (escaped); `classes[i]` (optional) is the CSS class of row i's last
    cell (the verdict cells: holds, not, reversed)."""
    head = "<tr>" + "".join(f"<th>{escape(h)}</th>" for h in header) + "</tr>\n" if header \
        else ""
    body = []
    for i, row in enumerate(rows):
        cells = [f"<td>{escape(c)}</td>" for c in row]
        if classes is not None and classes[i]:
            cells[-1] = f"<td class='{escape(classes[i])}'>{escape(row[-1])}</td>"
        body.append("<tr>" + "".join(cells) + "</tr>")
    return f"<table>\n{head}" + "\n".join(body) + "\n</table>"


def format_step(value, missing: str = "not reached") -> str:
    """A training step as a whole number, or `missing` when there is none (None, JSON null or
    inf: never within the run)."""
    return missing if value is None or not math.isfinite(value) else f"{value:.0f}"


def page(title: str, body: str) -> str:
    return (f"<!doctype html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>"
            f"{escape(title)}</title>\n<style>\n{CSS}\n</style></head><body>\n"
            f"<h1>{escape(title)}</h1>\n{body}\n</body></html>\n")


def figure_html(fig, name: str, out_dir: Path, caption: str) -> str:
    """Save a matplotlib figure as PNG and SVG into out_dir; returns a <figure>: an <img> with the
    PNG inlined (the page stands alone) and the caption (what is plotted, the control, how to
    read it)."""
    from slopscope.report.plots import plt

    png = io.BytesIO()
    fig.savefig(png, format="png", dpi=110)
    svg = io.BytesIO()
    fig.savefig(svg, format="svg")
    atomic_write_bytes(out_dir / f"{name}.png", png.getvalue())
    atomic_write_bytes(out_dir / f"{name}.svg", svg.getvalue())
    plt.close(fig)
    data = base64.b64encode(png.getvalue()).decode()
    return (f'<figure><img alt="{escape(name)}" src="data:image/png;base64,{data}">'
            f"<figcaption>{escape(caption)}</figcaption></figure>")
