"""HTML sections of a run report besides figures and findings: what data went in (with the
duplicate counts), what is not available without a grammar, decoded example strings and the
calibration of the verdicts. Each reads what the run directory (or a calibration file) holds."""

from __future__ import annotations

import html
import math
from pathlib import Path

import slopscope
from slopscope.data_info import read_data_info
from slopscope.report.html import format_step
from slopscope.report.html import table as _table
from slopscope.report.trust import MAX_FALSE_POSITIVES, MIN_POWER, null_and_power, unjudgeable
from slopscope.store import read_json
from slopscope.verdicts import BY_NAME, all_arms, format_interval

MIN_COVERAGE = 0.85  # null intervals covering 0 less often than this: the statistic is biased

NOT_AVAILABLE = ("validity per level (M5)", "exact log-probability (T3)",
                 "rule typicality (T2)", "likelihood time (needs the true loss -log p(x)/d)",
                 "grammar oracle")

_DATA_ROWS = (("path", "file"), ("format", "format"), ("tokens", "tokens"),
              ("lines", "lines read"), ("blank_lines", "blank lines skipped"),
              ("dropped_by_pattern", "lines not matching data.pattern"),
              ("dropped_other_lengths", "sequences of other lengths dropped"),
              ("padded", "sequences padded"), ("sequences", "sequences kept"),
              ("duplicates", "duplicate sequences found"),
              ("duplicates_removed", "duplicates removed"),
              ("most_copies", "most copies of one sequence"), ("length", "length"),
              ("vocab_size", "vocabulary size"), ("train", "training sequences"),
              ("test", "held-out sequences"), ("unused", "unused sequences"),
              ("seed", "split seed"))


def _grammar_data_section(info) -> str:
    """Grammar data: the split, its draws, and the exchangeability check (mean log p per side)."""
    mean = info.get("mean_log_p") or {}
    rows = [("training strings", info["train"]), ("held-out strings", info["test"]),
            ("i.i.d. draws to find them", info["iid_draws"]),
            ("duplicates rejected", info["duplicates_rejected"]),
            ("split seed", info["seed"])]
    rows += [(f"mean log p(x), {name}", f"{value:.3f}") for name, value in mean.items()
             if value is not None]
    note = ("<p>Training and held-out strings are a seeded random partition of one pool of "
            "distinct strings (exchangeable: the held-out split is a fair control).</p>"
            if "split" in info else "<p>This run's split predates exchangeable splits (the "
            "first strings drawn were the training set).</p>")
    return f"<h2>Data</h2>\n{_table(rows)}\n{note}"


def data_section(run_dir: Path, source: str) -> str:
    """The data that went in: the split (grammar data), or for token data the duplicate counts
    and what is not available."""
    info = read_data_info(run_dir)
    if source != "tokens":
        return _grammar_data_section(info.figures)
    rows = [(label, info.get(key)) for key, label in _DATA_ROWS if key in info.figures]
    found, removed = info.duplicates, info.duplicates_removed
    note = (f"{found} duplicate sequences were found and {removed} removed (deduplication does "
            "not stop the memorisation of prototypical sequences: compare the findings below)."
            if removed == found else
            f"{found} duplicate sequences were found; none removed (data.dedup=false).")
    missing = ", ".join(NOT_AVAILABLE)
    return (f"<h2>Data</h2>\n{_table(rows)}\n<p>{html.escape(note)}</p>\n"
            f"<p><b>Not available without a grammar:</b> {html.escape(missing)}. Excess block "
            "copying uses the held-out split as the fresh reference.</p>")


def examples_section(examples: dict) -> str:
    """Decoded examples (tables/examples.parquet): the most reproduced training strings, the
    most and least typical ones, and generations of the last checkpoint marked copy / held-out /
    novel."""
    rows = {"reproduced": [], "typical": [], "generated": []}
    for i, section in enumerate(examples["section"]):
        text, t1 = examples["text"][i], examples["t1"][i]
        first = format_step(examples["first_step"][i], "not yet")
        if section == "reproduced":
            rows[section].append((text, int(examples["copies"][i]), f"{t1:.2f}", first))
        elif section == "typical":
            rows[section].append((text, f"{t1:.2f}", first))
        else:
            rows[section].append((text, examples["kind"][i]))
    return ("<h2>Examples</h2>\n<h3>Most reproduced training strings (last checkpoint)</h3>\n"
            + _table(rows["reproduced"], ("string", "copies", "T1", "first reproduced at step"))
            + "\n<h3>Most and least typical training strings</h3>\n"
            + _table(rows["typical"], ("string", "T1", "first reproduced at step"))
            + "\n<h3>Generations at the last checkpoint</h3>\n"
            + _table(rows["generated"], ("generated", "is")))


def calibration_section(path: Path | None, name: str) -> str:
    """The calibration of the verdicts (slopscope calibrate) saved at `path`, when there is one;
    otherwise a note saying how to make one for the configuration `name`."""
    if path is None or not Path(path).exists():
        return (f"<h2>Calibration</h2><p>No calibration of these verdicts yet: run "
                f"<code>slopscope calibrate {html.escape(name)}</code> (a run preset, or a "
                "TOML file) to measure each verdict's false-positive rate and power on oracle "
                "controls.</p>")
    table = read_json(path)
    arms = {arm.label: arm for arm in all_arms()}
    seen = [label for label in arms if any(label in r for r in table["verdicts"].values())]
    rows = []
    for verdict_name, rates in table["verdicts"].items():
        judged = BY_NAME.get(verdict_name)
        own = (judged.null_label, judged.power_label) if judged else ()
        rows.append((verdict_name,
                     *(f"{_rate(rates[label])} on {arms[label].described}"
                       if label in rates else "-" for label in own or ("", "")),
                     *(_rate(rates[label]) if label in rates else "-" for label in seen),
                     _rate(rates["null_coverage"]) if "null_coverage" in rates else "-"))
    readings = "".join(f"<li>{html.escape(_reading(name, rates))}</li>"
                       for name, rates in table["verdicts"].items() if _reading(name, rates))
    header = ("verdict", "false-positive rate", "power",
              *(f"holds: {arms[label].described}" for label in seen),
              "null intervals covering 0")
    return (f"<h2>Calibration</h2><p>How often each verdict says \"holds\" on controls whose "
            f"answer is known ({table['replicates']} replicates per arm, planted share "
            f"{table['memorize']}{_onset(table)}; Wilson 95 % intervals; {_where(path)}). Each "
            "verdict's false-positive rate is read on its own null arm and its power on the arm "
            "that plants its effect.</p>\n"
            f"{_table(rows, header)}\n"
            f"<p>What the verdicts can tell at this size:</p><ul>{readings}</ul>")


def _rate(rate: dict) -> str:
    return f"{_share(rate, signed=False)} ({rate['hits']}/{rate['n']})"


def _onset(table: dict) -> str:
    return "" if table.get("onset") is None else f", from step {table['onset']}"


def _where(path: Path) -> str:
    """Where a calibration file is, without this machine's absolute path when avoidable."""
    path = Path(path).resolve()
    package = Path(slopscope.__file__).resolve().parent
    if path.is_relative_to(package):
        return (f"the calibration shipped with slopscope, "
                f"<code>{html.escape(path.relative_to(package).as_posix())}</code>")
    shown = path.relative_to(Path.cwd()) if path.is_relative_to(Path.cwd()) else path
    return f"from <code>{html.escape(str(shown))}</code>"


def _share(rate: dict, **style) -> str:
    """A calibration rate with its Wilson interval."""
    return format_interval(rate["rate"], rate["low"], rate["high"], **style)


def _reading(name: str, rates: dict) -> str | None:
    """One sentence on what a verdict can tell at this configuration's size, from its
    calibration: the false-positive rate (trustworthy up to twice the nominal 2.5 %) and the
    power on the control with a true effect (little under 50 %), both point estimates shown
    with their Wilson intervals; how many planted controls it could judge at all; and whether
    its null's 95 % intervals cover 0 as they should (a warning under MIN_COVERAGE)."""
    fpr, power = null_and_power(name, rates)
    if fpr is None or power is None:
        return None
    if unjudgeable(fpr, power):
        return (f"{name}: its controls cannot judge it at this size: not measurable on every "
                f"null and planted control ({fpr['n']} + {power['n']}), which memorise nothing "
                "beyond the held-out control that the rule can see.")
    parts = []
    rate = _share(fpr, spec=".0%")
    if fpr["rate"] > MAX_FALSE_POSITIVES:
        parts.append(f"'holds' is not trustworthy (false positives {rate})")
    else:
        parts.append(f"'holds' is trustworthy (false positives {rate})")
    if power["rate"] < MIN_POWER:
        parts.append(f"'not shown' says little: a planted effect is detected in only "
                     f"{_share(power, spec='.0%')} of runs")
    else:
        parts.append(f"a planted effect is detected in {_share(power, spec='.0%')} of runs")
    if power.get("measurable") is not None and power["measurable"] < power["n"]:
        parts.append(f"its planted controls are measurable in {power['measurable']} of "
                     f"{power['n']}")
    coverage = rates.get("null_coverage")
    if coverage and coverage["n"] and coverage["rate"] < MIN_COVERAGE:
        parts.append(f"its statistic is off-centre on its null: the 95 % intervals cover 0 in "
                     f"only {_share(coverage, spec='.0%')} of null runs")
    return f"{name}: " + "; ".join(parts) + "."


def regime_section(summary) -> str:
    """Where the run sits: when each level of the grammar was learned above chance (tau*_k),
    when copying began (tau_mem), their ratio (the window), and how deep memorisation was at the
    checkpoint each finding's statistic uses. Empty for token data."""
    learned = summary.tau_learned
    if not learned:
        return ""
    top, tau_mem = learned[max(learned)], summary.tau_mem
    times = ", ".join(f"tau*_{k} = {format_step(v)}" for k, v in sorted(learned.items()))
    if top is not None and math.isfinite(top) and tau_mem is not None:
        ratio = (f"{tau_mem / top:.2g}" if math.isfinite(tau_mem)
                 else "open: copying had not begun by the last checkpoint")
    else:
        ratio = "none: the whole grammar was not learned"
    depths = []
    for name, found in summary.findings.items():
        details = found.details
        if details.get("step") is None or "excess_copies" not in details:
            continue
        reproduced = details.get("excess_reproduced")
        beyond = ("" if reproduced is None else
                  f"training strings reproduced beyond the held-out ones {reproduced:+.3f}, ")
        depths.append(f"{name} at step {details['step']}: {beyond}generations copying beyond "
                      f"chance {details['excess_copies']:+.3f}")
    depth = ("<p>Memorisation depth where each finding is judged: "
             + "; ".join(html.escape(d) for d in depths) + ".</p>") if depths else ""
    return ("<h2>Regime</h2><p>The grammar's levels learned above chance (block size k learned "
            f"half the way from chance): {html.escape(times)}; copying begins (generations copy "
            f"training strings beyond chance as often as the copy gate) at tau_mem = "
            f"{format_step(tau_mem)}; window tau_mem / tau*_L: "
            f"{html.escape(ratio)}.</p>{depth}")
