"""Vocabulary, decoding, deduplication counts and the seeded split."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from slopscope import SlopscopeError
from slopscope.experiments.config.schema import DataConfig
from slopscope.tokendata import Vocabulary, load_token_data, split


@settings(max_examples=40, deadline=None)
@given(st.lists(st.text(alphabet="abcxyzé", min_size=4, max_size=4), min_size=1, max_size=30))
def test_text_decodes_back_to_the_lines_it_was_read_from(tmp_path_factory, lines):
    path = tmp_path_factory.mktemp("d") / "lines.txt"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    data = _load(path, dedup=False)
    assert data.vocab.render(data.sequences) == lines
    assert data.vocab.tokens == tuple(sorted(set("".join(lines))))
    back = Vocabulary.from_json(data.vocab.to_json())
    assert back == data.vocab and back.render(data.sequences) == lines



def _load(path, **options):
    """A token data set read with the options of a run's data configuration."""
    return load_token_data(DataConfig(path=str(path), **options))


def test_duplicates_are_counted_and_removed_keeping_first_occurrences(tmp_path):
    path = tmp_path / "d.txt"
    path.write_text("cd\nab\nab\ncd\nab\nef\n")
    data = _load(path)
    assert data.vocab.render(data.sequences) == ["cd", "ab", "ef"]
    assert (data.summary["sequences"], data.summary["distinct"], data.summary["duplicates"],
            data.summary["duplicates_removed"], data.summary["most_copies"]) == (6, 3, 3, 3, 3)
    kept = _load(path, dedup=False)
    assert kept.sequences.shape[0] == 6 and kept.summary["duplicates_removed"] == 0


def test_the_split_is_seeded_disjoint_and_complete(tmp_path):
    path = tmp_path / "d.txt"
    path.write_text("\n".join(f"{i:03d}" for i in range(200)) + "\n")
    data = _load(path)
    train, test, summary = split(data, 120, 50, seed=3)
    again, _, _ = split(data, 120, 50, seed=3)
    other, _, _ = split(data, 120, 50, seed=4)
    np.testing.assert_array_equal(train, again)
    assert not np.array_equal(train, other)
    rows = {tuple(r) for r in train} | {tuple(r) for r in test}
    assert len(rows) == 170  # disjoint
    assert summary["unused"] == 30 and summary["seed"] == 3
    with pytest.raises(SlopscopeError, match="data.train \\+ data.test = 201 but the data has "
                       "200 sequences"):
        split(data, 151, 50, seed=0)


def test_decoding_rejects_ids_outside_the_vocabulary():
    vocab = Vocabulary(("a", "b"), "chars", pad=2)
    assert vocab.size == 3 and vocab.decode([[0, 2]]) == [["a", "<pad>"]]
    with pytest.raises(SlopscopeError, match="allowed: 0..2"):
        vocab.decode([[0, 3]])
