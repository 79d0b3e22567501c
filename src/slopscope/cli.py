"""The command-line face of slopscope (a thin layer over the library)."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from slopscope import app
from slopscope.cli_grammar import grammar_parser
from slopscope.cli_options import MAX_REPLICATES, add_integer, arm_list, output_dir, row_list
from slopscope.cli_tools import execution, execution_options, tools_parser
from slopscope.errors import Interrupted, SlopscopeError


def _run_parser(sub) -> None:
    p = sub.add_parser("run", help="run an experiment preset or TOML file (resumes; skips if done)",
                       description="Train, checkpoint, generate and measure; one run directory "
                       "per seed. Overrides look like train.steps=5000 grammar.zipf_a=0.5.")
    p.add_argument("source", help="a run preset (" + ", ".join(app.run_presets())
                   + ") or a TOML file")
    p.add_argument("overrides", nargs="*", help="key.sub=value")
    execution_options(p, workers="the seeds one after the other, in this process")
    p.add_argument("--quiet", action="store_true", help="no progress output")
    p.set_defaults(func=_run_run)
    m = sub.add_parser("measure", help="re-measure the checkpoints of an existing run",
                       description="Measure checkpoints that lack measurements (all of them when "
                       "measure.* overrides are given, e.g. measure.generations=20000).")
    m.add_argument("run_dir", type=Path)
    m.add_argument("overrides", nargs="*", help="measure.key=value")
    m.add_argument("--force", action="store_true",
                   help="measure every checkpoint again (e.g. after adding a measurement)")
    m.add_argument("--quiet", action="store_true")
    m.set_defaults(func=_run_measure)
    r = sub.add_parser("report", help="rebuild the HTML report of a run (or a sweep) from its "
                       "directory")
    r.add_argument("run_dir", type=Path)
    r.set_defaults(func=_run_report)
    c = sub.add_parser("runs", help="list runs with their key settings and headline figures")
    c.add_argument("--runs-dir", type=Path, default=Path("runs"))
    c.set_defaults(func=_run_runs)
    w = sub.add_parser("sweep", help="run a grid of experiments (local processes, Ray or "
                       "SLURM)")
    w.add_argument("sweep_file", help="a sweep TOML file, or a sweep preset: "
                   + ", ".join(app.sweep_presets()))
    execution_options(w, workers="the sweep file's workers, else 2")
    w.set_defaults(func=_run_sweep)
    k = sub.add_parser("calibrate", help="false-positive rate and power of every verdict, "
                       "measured on oracle controls (no training)",
                       description="Run N null controls (the perfect generaliser) and N planted "
                       "memorisers of the most typical fifth (and, for a run preset, of the least "
                       "typical fifth, and N slop generators) through the pipeline; print and save "
                       "each verdict's 'holds' rate with Wilson intervals.")
    k.add_argument("source", help="a run preset or TOML file (A, D), or a sweep preset or file "
                   "(E1, B, C; A and D over its runs); e1, e3 and e4 name the sweeps (their run "
                   "presets: e1-scaling, e3-fat-tails, e4-tail-level)"),
    add_integer(k, "--runs", default=20, minimum=1, maximum=MAX_REPLICATES,
                help="replicates per arm")
    k.add_argument("--memorize", type=float, default=0.3, help="planted share (default 0.3)")
    k.add_argument("--onset", type=_onset, default=None, metavar="WHEN",
                   help="where the planted memorisation begins (run presets): first, measured "
                   "(the preset's controls.memorisation), early, middle, late (a quarter, half, "
                   "85 %% of the run in log step) or a step; default: measured if the preset "
                   "has it, else first")
    k.add_argument("--arms", type=arm_list, default=None, metavar="ARM,ARM",
                   help="run only these arms (default: every arm of the scope: null, planted, "
                   "atypical and those the findings add)")
    execution_options(k)
    k.set_defaults(func=_run_calibrate)
    p = sub.add_parser("reproduce", help="run every row of the results page (A under three "
                       "families, A on words, B, C, D, E1) with calibrations; write results.md",
                       description="Run (or resume) the sweeps and calibrations behind the "
                       "results page and write <out>/results.md, results.json and figures. "
                       "--quick: fewer seeds and shorter runs, labelled quick.")
    p.add_argument("--quick", action="store_true", help="a first look (minutes, not hours)")
    p.add_argument("--out", type=output_dir, default=None,
                   help="results directory (default results/, or results/quick/)")
    p.add_argument("--rows", type=row_list, default=None, metavar="KEY,KEY",
                   help="run only these rows (the others: kept when finished, else pending)")
    p.add_argument("--regime", choices=app.results_regimes(), default=None,
                   help="run only the rows of this regime (with --rows: those of both)")
    execution_options(p)
    p.set_defaults(func=_run_reproduce)
    g = sub.add_parser("regime", help="the regime study: a sweep over the training-set size P, "
                       "per-level learning times, the window and the phase diagram",
                       description="Run (or resume) the regime sweep (a sweep preset or file "
                       "with a grid over data.train) and write <out>/regime.md, regime.json and "
                       "phase_diagram.png. --quick: one seed, short runs (checks the pipeline).")
    g.add_argument("sweep", nargs="?", default="regime", help="sweep preset or file "
                   "(default: regime)")
    g.add_argument("--quick", action="store_true", help="check the pipeline (minutes)")
    g.add_argument("--out", type=output_dir, default=None,
                   help="page directory (default results/regime/, or results/regime-quick/)")
    execution_options(g)
    g.set_defaults(func=_run_regime)


def _run_reproduce(args) -> int:
    lines, page = app.reproduce(args.out, execution(args), args.quick, only=args.rows,
                                regime=args.regime)
    print("\n".join(lines))
    print(f"results: {page}")
    return 0


def _run_regime(args) -> int:
    page = app.regime(args.sweep, args.out, execution(args), args.quick)
    print(f"regime: {page}")
    return 0


def _run_calibrate(args) -> int:
    app.calibrate(args.source, args.runs, args.memorize, execution(args), onset=args.onset,
                  arms=args.arms)
    return 0


def _onset(text: str):
    """--onset: a position's name or a step."""
    return int(text) if text.isdigit() else text


def _run_sweep(args) -> int:
    done = app.sweep(args.sweep_file, execution(args))
    for note in done.notes:
        print(note, file=sys.stderr)
    print(f"report: {done.page}")
    return 1 if done.failed else 0


def _run_runs(args) -> int:
    print(app.catalog(args.runs_dir))
    return 0


def _run_report(args) -> int:
    print(app.report(args.run_dir))
    return 0


def _run_run(args) -> int:
    for done in app.run(args.source, args.overrides, execution(args), progress=not args.quiet):
        print(done.line)
        print(f"report: {done.page}")
    return 0


def _run_measure(args) -> int:
    done = app.measure(args.run_dir, args.overrides, force=args.force, progress=not args.quiet)
    print(done.line)
    return 0


class _Parser(argparse.ArgumentParser):
    """Usage mistakes are one line too: `slopscope: error: ...` (exit code 2)."""

    def error(self, message):
        self.exit(2, f"slopscope: error: {message} (see {self.prog} --help)\n")


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog="slopscope",
        description="Measure which training samples a diffusion model memorizes, when and why.",
    )
    parser.add_argument("--version", action="version", version=f"slopscope {app.VERSION}")
    sub = parser.add_subparsers(dest="command", required=True, parser_class=_Parser)
    grammar_parser(sub)
    _run_parser(sub)
    tools_parser(sub)
    for command in sub.choices.values():
        add_integer(command, "--threads", default=app.DEFAULT_THREADS, minimum=0, maximum=1024,
                    help="CPU threads of this process (torch and numba); 0: the libraries' "
                    "default, one per core, which slows down badly beside any other job. "
                    "Sweep workers always use one")
    return parser


def _parse(parser, argv):
    """The arguments, with `key=value` overrides accepted anywhere on the line (argparse takes
    positionals only before the first option: `run demo --runs-dir X train.steps=100`)."""
    args, extra = parser.parse_known_args(argv)
    if extra and hasattr(args, "overrides") and all(
            "=" in e and not e.startswith("-") for e in extra):
        args.overrides = [*args.overrides, *extra]
    elif extra:
        parser.error(f"unrecognized arguments: {' '.join(extra)}")
    return args


def main(argv=None) -> int:
    parser = build_parser()
    try:
        args = _parse(parser, argv)
    except SystemExit as exc:  # usage errors (one line) and --help
        return exc.code
    try:
        app.use_threads(args.threads)  # the one place a command-line process sets its threads
        return args.func(args)
    except SlopscopeError as exc:
        print(f"slopscope: error: {exc}", file=sys.stderr)
        return 2
    except OSError as exc:  # a missing, unreadable or unwritable file (a damaged run directory)
        where = f"{exc.filename}: " if exc.filename else ""
        print(f"slopscope: error: {where}{exc.strerror or exc}; allowed: a run directory with all "
              "its files, readable and writable (restore the file, or remove the run directory "
              "and run the command that made it again)", file=sys.stderr)
        return 2
    except KeyboardInterrupt as exc:  # every stage is saved as it ends: nothing finished is lost
        where = (f" {exc.where}; run the same command again to resume from step {exc.saved}"
                 if isinstance(exc, Interrupted) else "; run the same command again to resume "
                 "from the last checkpoint and measurement saved")
        print(f"slopscope: interrupted{where}", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
