"""Example strings of a run, decoded for people (the report shows them as they are): the most
reproduced training strings, the most and least typical ones, and generations of the last
checkpoint marked as copies, held-out strings or novel."""

from __future__ import annotations

import numpy as np

from slopscope import measure

SECTIONS = ("reproduced", "typical", "generated")


def example_rows(source, train, test, tau, t1, train_counts, generations,
                 shown: int = 10) -> dict:
    """Columns of tables/examples.parquet: section, text, copies (at the last checkpoint),
    t1, first_step (NaN: not yet reproduced) and kind (generated rows only)."""
    train_counts = np.asarray(train_counts)
    top = np.argsort(-train_counts, kind="stable")[:shown]
    top = top[train_counts[top] > 0]
    order = np.argsort(-np.asarray(t1), kind="stable")
    ends = np.concatenate([order[:shown // 2], order[-(shown // 2):]])
    sample = generations[:shown * 2]
    kind = np.where(measure.is_copy(sample, train), "copy of a training string",
                    np.where(measure.is_copy(sample, test), "held-out string", "novel"))
    columns: dict = {"section": [], "text": [], "copies": [], "t1": [], "first_step": [],
                     "kind": []}

    def add(section, rows, texts, kinds=None):
        for i, (row, text) in enumerate(zip(rows, texts, strict=True)):
            columns["section"].append(section)
            columns["text"].append(text)
            on_train = section != "generated"
            columns["copies"].append(int(train_counts[row]) if on_train else -1)
            columns["t1"].append(float(t1[row]) if on_train else float("nan"))
            finite = on_train and np.isfinite(tau[row])
            columns["first_step"].append(float(tau[row]) if finite else float("nan"))
            columns["kind"].append("" if kinds is None else str(kinds[i]))

    add("reproduced", top, source.render(train[top]))
    add("typical", ends, source.render(train[ends]))
    add("generated", np.arange(sample.shape[0]), source.render(sample), kind)
    return columns
