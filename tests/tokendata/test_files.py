"""Reading token data: each format, and a one-line error for each bad input."""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from slopscope import SlopscopeError
from slopscope.experiments.config.schema import DataConfig
from slopscope.tokendata import files, load_token_data, prepare, read_sequences


def _load(path, **options):
    """A token data set read with the options of a run's data configuration."""
    return load_token_data(DataConfig(path=str(path), **options))


def _text(tmp_path, text: str, name="data.txt"):
    path = tmp_path / name
    path.write_text(text)
    return path


def test_text_characters_are_tokens_and_blank_lines_are_skipped(tmp_path):
    ragged = read_sequences(_text(tmp_path, "abc\r\nabd\n\nxyz\n"))
    assert ragged.info == {"format": "text", "tokens": "chars", "lines": 4, "blank_lines": 1,
                           "dropped_by_pattern": 0}
    assert ragged.lengths.tolist() == [3, 3, 3]
    assert ["".join(ragged.symbols[i] for i in ragged.values[a:b])
            for a, b in zip(ragged.offsets[:-1], ragged.offsets[1:], strict=True)] == \
        ["abc", "abd", "xyz"]


def test_whitespace_tokens_decode_back_to_words(tmp_path):
    data = _load(_text(tmp_path, "the cat sat\nthe dog  sat\n"), tokens="whitespace")
    assert data.vocab.tokens == ("cat", "dog", "sat", "the")  # sorted
    assert data.vocab.decode(data.sequences) == [["the", "cat", "sat"], ["the", "dog", "sat"]]
    assert data.vocab.render(data.sequences) == ["the cat sat", "the dog sat"]


def test_lowercase_and_pattern_filter_lines_and_count_what_they_drop(tmp_path):
    data = _load(_text(tmp_path, "Apple\napple\nit's\nPEARS\n"), lowercase=True,
                           pattern="[a-z]+", length=5)
    assert data.vocab.render(data.sequences) == ["apple", "pears"]
    assert data.summary["dropped_by_pattern"] == 1  # it's
    assert data.summary["duplicates"] == data.summary["duplicates_removed"] == 1


def test_npy_integers_keep_their_values(tmp_path):
    array = np.array([[10, 3, 7], [7, 7, 10]], dtype=np.int16)
    np.save(tmp_path / "x.npy", array)
    data = _load(tmp_path / "x.npy")
    assert data.vocab.tokens == (3, 7, 10) and data.vocab.kind == "ints"
    np.testing.assert_array_equal(np.array(data.vocab.decode(data.sequences)), array)
    assert data.sequences.tolist() == [[2, 0, 1], [1, 1, 2]]
    big = np.array([[0, files.MAX_TOKEN_ID]], dtype=np.uint64)  # the largest id, any int dtype
    np.save(tmp_path / "big.npy", big)
    assert _load(tmp_path / "big.npy").vocab.tokens == (0, files.MAX_TOKEN_ID)


@pytest.mark.parametrize("array, message", [
    (np.array([[1, 2, -3], [4, 5, 6]]), "holds token id -3 (sequence 0, position 2); allowed: "
     "integer token ids 0..2147483647 (to pad"),
    (np.array([[1, 2], [-1, -1]], dtype=np.int8), "holds token id -1 (sequence 1, position 0)"),
    (np.array([[1, 2], [4, 2**31]]), "holds token id 2147483648 (sequence 1, position 1); "
     "allowed: integer token ids 0..2147483647"),
    (np.array([[1, 2**64 - 1]], dtype=np.uint64), "holds token id 18446744073709551615"),
    (np.array([[1.0, 2.5]]), "holds a float64 array of shape (1, 2) (value 2.5 at sequence 0, "
     "position 1); allowed: a non-empty (sequences, length) integer array of integer token ids"),
    (np.array([[1.0, np.nan]], dtype=np.float32), "(value nan at sequence 0, position 1)"),
    (np.array([[1.0, 2.0]]), "(whole numbers stored as floats, e.g. 1.0)"),
    (np.zeros((3, 0), dtype=np.int64), "holds a int64 array of shape (3, 0)"),
    (np.array([[True, False]]), "holds a bool array"),
])
def test_npy_values_that_are_not_token_ids_are_named(tmp_path, array, message):
    np.save(tmp_path / "bad.npy", array)
    with pytest.raises(SlopscopeError) as error:
        read_sequences(tmp_path / "bad.npy")
    assert message in str(error.value) and "bad.npy" in str(error.value)


@pytest.mark.parametrize("lists, kind, message", [
    ([[1, 2], [3, -4]], pa.int64(), "data.column='ids' of '{path}' holds token id -4 "
     "(sequence 1, position 1); allowed: integer token ids 0..2147483647"),
    ([[1, 2], [3], [2**40]], pa.int64(), "holds token id 1099511627776 (sequence 2, position 0)"),
    ([[1, 2**63]], pa.uint64(), "holds token id 9223372036854775808 (sequence 0, position 1)"),
    ([[], []], pa.int32(), "holds only empty lists"),
])
def test_parquet_values_that_are_not_token_ids_are_named(tmp_path, lists, kind, message):
    path = tmp_path / "bad.parquet"
    pq.write_table(pa.table({"ids": pa.array(lists, pa.list_(kind))}), path)
    with pytest.raises(SlopscopeError) as error:
        read_sequences(path)
    assert message.format(path=path) in str(error.value)


def test_hand_made_integer_sequences_are_checked_too():
    ragged = files.Ragged(np.array([1, -1, 2, 3]), np.array([0, 2, 4]), None)
    with pytest.raises(SlopscopeError, match=r"the integer data holds token id -1 \(sequence 0, "):
        prepare(ragged, "ints")
    empty = files.Ragged(np.zeros(0, dtype=np.int64), np.array([0, 0, 0]), None)
    with pytest.raises(SlopscopeError, match="the sequences have no tokens"):
        prepare(empty, "ints")


def test_parquet_integer_lists_with_ragged_lengths_and_padding(tmp_path):
    table = pa.table({"ids": pa.array([[5, 6], [6, 5, 5], [5, 6]], pa.list_(pa.int32())),
                      "label": ["a", "b", "c"]})
    pq.write_table(table, tmp_path / "x.parquet")
    data = _load(tmp_path / "x.parquet", pad=True, dedup=False)
    assert data.vocab.tokens == (5, 6) and data.vocab.pad == 2
    assert data.sequences.tolist() == [[0, 1, 2], [1, 0, 0], [0, 1, 2]]
    assert data.vocab.render(data.sequences[:1]) == ["5 6 ·"]
    assert data.summary["duplicates"] == 1 and data.summary["duplicates_removed"] == 0
    assert data.summary["padded"] == 2


def test_parquet_column_must_be_named_when_ambiguous(tmp_path):
    table = pa.table({"a": pa.array([[1, 2]]), "b": pa.array([[3, 4]]), "s": ["x"]})
    pq.write_table(table, tmp_path / "x.parquet")
    with pytest.raises(SlopscopeError, match=r"integer-list columns \['a', 'b'\].*data.column"):
        read_sequences(tmp_path / "x.parquet")
    assert read_sequences(tmp_path / "x.parquet", column="b").values.tolist() == [3, 4]
    with pytest.raises(SlopscopeError, match="data.column='s' is not an integer-list column"):
        read_sequences(tmp_path / "x.parquet", column="s")


def test_parquet_null_rows_are_rejected(tmp_path):
    pq.write_table(pa.table({"a": pa.array([[1, 2], None])}), tmp_path / "x.parquet")
    with pytest.raises(SlopscopeError, match="1 null rows"):
        read_sequences(tmp_path / "x.parquet")


@pytest.mark.parametrize("content, message", [
    (b"", "is empty"),
    (b"\x00\x01\x02\xff\xfe", "NUL byte"),
    (b"abc\n\xff\xfeabc\n", "line 2 is not UTF-8 \\(byte 0xff\\)"),
    (b"\n\n  \n", "has no sequences \\(3 lines, 3 blank"),
])
def test_bad_text_files_get_one_line_errors(tmp_path, content, message):
    path = tmp_path / "bad.txt"
    path.write_bytes(content)
    with pytest.raises(SlopscopeError, match=message) as error:
        read_sequences(path, tokens="whitespace")
    assert "\n" not in str(error.value)


def test_bad_npy_files(tmp_path):
    np.save(tmp_path / "obj.npy", np.array([[1], ["a"]], dtype=object), allow_pickle=True)
    with pytest.raises(SlopscopeError, match="an object array"):
        read_sequences(tmp_path / "obj.npy")
    np.save(tmp_path / "f.npy", np.ones((2, 3)))
    with pytest.raises(SlopscopeError, match="float64 array of shape \\(2, 3\\)"):
        read_sequences(tmp_path / "f.npy")
    (tmp_path / "junk.npy").write_bytes(b"not numpy at all")
    with pytest.raises(SlopscopeError, match="not a .npy file"):
        read_sequences(tmp_path / "junk.npy")
    with pytest.raises(SlopscopeError, match="is not a file"):
        read_sequences(tmp_path / "missing.npy")
    (tmp_path / "junk.parquet").write_bytes(b"PAR1 nope")
    with pytest.raises(SlopscopeError, match="is not a Parquet file"):
        read_sequences(tmp_path / "junk.parquet")


def test_mixed_lengths_name_the_histogram_and_the_options_that_fix_them(tmp_path):
    path = _text(tmp_path, "ab\nabc\nabd\nabcd\n")
    with pytest.raises(SlopscopeError, match=r"3 lengths \(2 tokens: 1, 3 tokens: 2, 4 tokens: 1\)"
                       r".*data.length=K.*data.pad=true"):
        _load(path)
    assert _load(path, length=3).vocab.render(
        _load(path, length=3).sequences) == ["abc", "abd"]
    padded = _load(path, pad=True, length=3)  # pad up to 3, drop the longer one
    assert padded.vocab.render(padded.sequences) == ["ab·", "abc", "abd"]
    assert padded.summary["dropped_other_lengths"] == 1 and padded.summary["padded"] == 1
    with pytest.raises(SlopscopeError, match="no sequence has length 7"):
        _load(path, length=7)


def test_a_vocabulary_too_large_for_the_model_is_refused(tmp_path):
    path = _text(tmp_path, "abcde\nfghij\n")
    with pytest.raises(SlopscopeError, match="10 distinct tokens; allowed: at most "
                       "data.max_vocab=8"):
        _load(path, max_vocab=8)


def test_a_file_that_does_not_fit_in_memory_is_refused_before_reading(tmp_path, monkeypatch):
    path = _text(tmp_path, "abc\n" * 1000)
    monkeypatch.setattr(files, "available_memory", lambda: 1000)
    with pytest.raises(SlopscopeError, match="needs about .* GiB of memory to read but .* is "
                       "available; allowed: a file that fits in memory"):
        read_sequences(path)


def test_bad_options_are_named(tmp_path):
    path = _text(tmp_path, "abc\n")
    with pytest.raises(SlopscopeError, match="data.tokens='bytes'; allowed: chars, whitespace"):
        read_sequences(path, tokens="bytes")
    with pytest.raises(SlopscopeError, match="data.format='csv'"):
        read_sequences(path, fmt="csv")
    with pytest.raises(SlopscopeError, match="data.pattern='\\[a-' is not a regular expression"):
        read_sequences(path, pattern="[a-")


def test_a_file_too_big_to_read_is_refused_before_it_is_hashed(tmp_path, monkeypatch):
    """The run's identity hashes the data file; a file that cannot be read is refused first (a
    100 GB sparse file was hashed for over a minute before the memory check)."""
    from slopscope.experiments.config.schema import load_config
    from slopscope.experiments.run import sources

    path = _text(tmp_path, "abc\n" * 1000)
    monkeypatch.setattr(files, "available_memory", lambda: 1000)
    monkeypatch.setattr(sources, "file_digest", lambda _: pytest.fail("hashed before the check"))
    config = load_config("e2", [f"data.path={path}"])
    with pytest.raises(SlopscopeError, match="needs about .* of memory to read"):
        sources.source_class(config).identity(config)
