"""The page of a run's extraction probes, read from <run>/probe/probe.json
(slopscope.experiments.studies.probe writes it)."""

from __future__ import annotations

from pathlib import Path

from slopscope.report import captions
from slopscope.report.html import escape, figure_html, page, table
from slopscope.report.plots import log_step_axis, plt
from slopscope.store import atomic_write_text, read_json
from slopscope.verdicts import format_interval


def _label(setting: dict) -> str:
    steps = setting["sampler_steps"]
    sampler = "1 token/call" if steps == 0 else f"{steps} calls"
    return f"{setting['shape']}, {setting['reveal']:.0%} revealed, {sampler}"


def extraction_curves(found: dict):
    """Extraction rate over training, one panel per revealed share: training strings by mask
    shape (colour) and sampler (solid: one token per call; dashed: the time-grid sampler), and
    the held-out strings probed the same way (grey, the control)."""
    shares = sorted({s["reveal"] for s in found["settings"]})
    shapes = sorted({s["shape"] for s in found["settings"]})
    fig, axes = plt.subplots(1, len(shares), figsize=(4.6 * len(shares), 3.8), sharey=True,
                             squeeze=False)
    for ax, share in zip(axes[0], shares, strict=True):
        for setting in (s for s in found["settings"] if s["reveal"] == share):
            steps = [e["step"] for e in setting["curve"]]
            ax.plot(steps, [e["test"]["rate"] for e in setting["curve"]], "-", color="grey",
                    lw=0.8, alpha=0.6)
            k = setting["sampler_steps"]
            ax.plot(steps, [e["train"]["rate"] for e in setting["curve"]],
                    "o-" if k == 0 else "s--", ms=3, color=f"C{shapes.index(setting['shape'])}",
                    label=f"{setting['shape']}, {'1 token/call' if k == 0 else f'{k} calls'}")
        log_step_axis(ax)
        ax.set(xlabel="training step", ylim=(0, 1.02), title=f"{share:.0%} of tokens revealed")
        ax.title.set_fontsize(9)
    axes[0, 0].set_ylabel("completions that reproduce the string")
    axes[0, 0].legend(fontsize=6, title="training strings (grey: held-out)", title_fontsize=6)
    fig.tight_layout()
    return fig


def _fmt(rate: dict) -> str:
    return format_interval(rate["rate"], rate["low"], rate["high"], signed=False)


def build_probe_report(run_dir) -> Path:
    """Write <run>/probe/probe.html (+ figure PNG/SVG); returns its path."""
    out = Path(run_dir) / "probe"
    found = read_json(out / "probe.json")
    rows = []
    for setting in found["settings"]:
        last = setting["curve"][-1]
        rho = setting["rho_t1_time"]
        rows.append((_label(setting), _fmt(last["train"]), _fmt(last["test"]),
                     f"{last['excess']:+.3f}",
                     format_interval(rho["rho"], rho["low"], rho["high"])))
    body = "\n".join([
        f"<p>Each training string is partly revealed and completed by the model "
        f"({found['completions']} completions per string and checkpoint); held-out strings "
        "probed the same way are the control. Rates at the last checkpoint (step "
        f"{escape(found['steps'][-1])}) with Wilson 95 % intervals; Spearman of T1 with the "
        "extraction time (negative: typical strings are extracted first).</p>",
        table(rows, ("setting", "training strings", "held-out strings", "excess",
                     "Spearman(T1, extraction time)")),
        figure_html(extraction_curves(found), "extraction", out, captions.EXTRACTION)])
    path = out / "probe.html"
    atomic_write_text(path, page(f"Extraction probes: {Path(run_dir).name}", body))
    return path
