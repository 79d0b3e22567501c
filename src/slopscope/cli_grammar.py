"""`slopscope grammar`: draw a grammar and a unique train/test split into a directory (part of
the command-line face; cli.py adds it to its parser)."""

from __future__ import annotations

import argparse
import math
from pathlib import Path

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
    p.add_argument("--v", type=int, default=16, help="vocabulary per level (default 16)")
    p.add_argument("--n", type=int, default=16, help="root classes (default 16)")
    p.add_argument("--m", type=int, default=4, help="productions per symbol (default 4)")
    p.add_argument("--s", type=int, default=2, help="branching factor (default 2)")
    p.add_argument("--L", type=int, default=3, help="depth; strings have length s**L (default 3)")
    p.add_argument("--seed", type=int, default=0, help="seed of the production tables")
    p.add_argument("--zipf-a", type=float, default=None, help="Zipf tail p_k ~ k**-(1+a)")
    p.add_argument("--zipf-levels", type=_levels, default=(),
                   help="levels with the tail: 1,3 or all")
    p.add_argument("--grammar", type=Path, default=None, help="use this grammar JSON instead")
    p.add_argument("--train", type=int, default=512, help="training strings (default 512)")
    p.add_argument("--test", type=int, default=512, help="held-out strings (default 512)")
    p.add_argument("--data-seed", type=int, default=0, help="seed of the data split")
    p.add_argument("--out", type=Path, default=Path("runs/grammar"), help="output directory")
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
    save_dataset(args.out, grammar, split, summary)
    print(_format_summary(grammar, split))
    print(f"wrote {args.out}/ (grammar.json, train.npy, test.npy, summary.json)")
    return 0


def _format_summary(grammar: RHM, split) -> str:
    info = grammar.summary()
    data = split.summary()
    rule_h = ", ".join(f"l{i}={h:.3f}" for i, h in enumerate(info["rule_entropy_nats"], start=1))
    lines = [
        f"grammar  v={grammar.v} n={grammar.n} m={grammar.m} s={grammar.s} L={grammar.L} "
        f"d={grammar.d}  P_max={grammar.P_max}  "
        f"{'uniform' if grammar.is_uniform else 'non-uniform'} rules",
        f"entropy  H(X)={info['entropy_nats']:.3f} nats (log P_max={math.log(grammar.P_max):.3f}); "
        f"rule entropy per level: {rule_h}",
        f"data     train={data['train']} test={data['test']} (unique, disjoint; "
        f"train/P_max={data['train'] / grammar.P_max:.3g}); i.i.d. draws={data['iid_draws']}, "
        f"duplicates rejected={data['duplicates_rejected']}",
    ]
    return "\n".join(lines)
