"""`slopscope grammar`: draw a grammar and a unique train/test split into a directory (part of
the command-line face; cli.py adds it to its parser)."""

from __future__ import annotations

import argparse
import math
from pathlib import Path

from slopscope.cli_options import add_integer, output_dir
from slopscope.data import unique_split
from slopscope.errors import SlopscopeError
from slopscope.grammar import RHM
from slopscope.store import save_dataset


def _levels(text: str):
    if text == "all":
        return "all"
    try:
        return tuple(int(part) for part in text.split(",") if part)
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"zipf levels {text!r}: allowed a comma-separated list like 1,3 or 'all'"
        ) from None


def grammar_parser(sub) -> None:
    p = sub.add_parser(
        "grammar",
        help="make a grammar and a unique train/test data set into a directory",
        description="Draw a Random Hierarchy Model and a unique, disjoint train/test split; "
        "write grammar.json, train.npy, test.npy and summary.json into --out.",
    )
    add_integer(p, "--v", default=16, minimum=2, help="vocabulary per level")
    add_integer(p, "--n", default=16, minimum=1, help="root classes")
    add_integer(p, "--m", default=4, minimum=1, help="productions per symbol")
    add_integer(p, "--s", default=2, minimum=2, help="branching factor")
    add_integer(p, "--L", default=3, minimum=1, help="depth; strings have length s**L")
    add_integer(p, "--seed", default=0, minimum=0, help="seed of the production tables")
    p.add_argument("--zipf-a", type=float, default=None, help="Zipf tail p_k ~ k**-(1+a): "
                   "a papers' exponent alpha (p_k ~ k**-alpha) is a = alpha - 1")
    p.add_argument("--zipf-levels", type=_levels, default=(),
                   help="levels with the tail: 1,3 or all")
    p.add_argument("--grammar", type=Path, default=None, help="use this grammar JSON instead")
    add_integer(p, "--train", default=512, minimum=1, help="training strings")
    add_integer(p, "--test", default=512, minimum=1, help="held-out strings")
    add_integer(p, "--data-seed", default=0, minimum=0, help="seed of the data split")
    p.add_argument("--out", type=output_dir, default=Path("runs/grammar"),
                   help="output directory (created when missing)")
    p.set_defaults(func=_run_grammar)


def _run_grammar(args) -> int:
    if args.grammar is not None:
        try:
            text = args.grammar.read_text()
        except OSError as exc:
            raise SlopscopeError(
                f"cannot read grammar file {args.grammar}: {exc.strerror}"
            ) from None
        grammar = RHM.from_json(text)
    else:
        grammar = RHM(args.v, args.n, args.m, args.s, args.L, seed=args.seed,
                      zipf_a=args.zipf_a, zipf_levels=args.zipf_levels)
    split = unique_split(grammar, args.train, args.test, seed=args.data_seed)
    summary = {"grammar": grammar.summary(), "data": split.summary()}
    summary["data"]["train_fraction_of_P_max"] = args.train / grammar.P_max
    try:
        save_dataset(args.out, grammar, split, summary)
    except OSError as exc:  # e.g. a folder that cannot be written
        raise SlopscopeError(f"cannot write into {args.out}: {exc.strerror or exc}") from None
    print(_format_summary(grammar, split))
    print(f"wrote {args.out}/ (grammar.json, train.npy, test.npy, summary.json)")
    return 0


def _tail(grammar: RHM) -> str:
    """The Zipf tail in both conventions: slopscope's a (p_k ~ k**-(1+a)) and the exponent
    alpha = 1 + a that papers quote (p_k ~ k**-alpha)."""
    a, levels = grammar.origin.get("zipf_a"), grammar.origin.get("zipf_levels")
    if a is None:
        return ""
    return (f"; Zipf tail p_k ~ k^-{1 + a:g} on levels {levels} (zipf_a={a:g}: the exponent is "
            "1 + zipf_a)")


def _format_summary(grammar: RHM, split) -> str:
    info = grammar.summary()
    data = split.summary()
    rule_h = ", ".join(f"l{i}={h:.3f}" for i, h in enumerate(info["rule_entropy_nats"], start=1))
    lines = [
        f"grammar  v={grammar.v} n={grammar.n} m={grammar.m} s={grammar.s} L={grammar.L} "
        f"d={grammar.d}  P_max={grammar.P_max}  "
        f"{'uniform' if grammar.is_uniform else 'non-uniform'} rules" + _tail(grammar),
        f"entropy  H(X)={info['entropy_nats']:.3f} nats (log P_max={math.log(grammar.P_max):.3f}); "
        f"rule entropy per level: {rule_h}",
        f"data     train={data['train']} test={data['test']} (unique, disjoint; "
        f"train/P_max={data['train'] / grammar.P_max:.3g}); i.i.d. draws={data['iid_draws']}, "
        f"duplicates rejected={data['duplicates_rejected']}",
    ]
    return "\n".join(lines)
