"""The page of a run's extraction probes, read from <run>/probe/probe.json
(slopscope.experiments.probe writes it)."""

from __future__ import annotations

from pathlib import Path

from slopscope.report.html import escape, figure_html, page, table
from slopscope.report.plots import _log_steps, plt
from slopscope.store import atomic_write_text, read_json


def _label(setting: dict) -> str:
    steps = setting["sampler_steps"]
    sampler = "1 token/call" if steps == 0 else f"{steps} calls"
    return f"{setting['shape']}, {setting['reveal']:.0%} revealed, {sampler}"


def extraction_curves(found: dict):
    """Extraction rate over training per setting: training strings (solid) against held-out
    strings probed the same way (dashed, the control)."""
    fig, ax = plt.subplots(figsize=(7, 4))
    for i, setting in enumerate(found["settings"]):
        steps = [e["step"] for e in setting["curve"]]
        color = f"C{i % 10}"
        ax.plot(steps, [e["train"]["rate"] for e in setting["curve"]], "o-", ms=3,
                color=color, label=_label(setting))
        ax.plot(steps, [e["test"]["rate"] for e in setting["curve"]], "--", color=color,
                alpha=0.6)
    _log_steps(ax)
    ax.set(xlabel="training step", ylabel="completions that reproduce the string",
           ylim=(0, 1.02), title="Extraction: training (solid) vs held-out control (dashed)")
    ax.title.set_fontsize(9)
    ax.legend(fontsize=6)
    fig.tight_layout()
    return fig


def _fmt(rate: dict) -> str:
    return f"{rate['rate']:.3f} [{rate['low']:.3f}, {rate['high']:.3f}]"


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
                     "n/a" if rho["rho"] is None else
                     f"{rho['rho']:+.3f} [{rho['low']:+.3f}, {rho['high']:+.3f}]"))
    body = "\n".join([
        f"<p>Each training string is partly revealed and completed by the model "
        f"({found['completions']} completions per string and checkpoint); held-out strings "
        "probed the same way are the control. Rates at the last checkpoint (step "
        f"{escape(found['steps'][-1])}) with Wilson 95 % intervals; Spearman of T1 with the "
        "extraction time (negative: typical strings are extracted first).</p>",
        table(rows, ("setting", "training strings", "held-out strings", "excess",
                     "Spearman(T1, extraction time)")),
        figure_html(extraction_curves(found), "extraction", out)])
    path = out / "probe.html"
    atomic_write_text(path, page(f"Extraction probes: {Path(run_dir).name}", body))
    return path
