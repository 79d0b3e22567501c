"""Your own token data: read a file, fix one length, build the vocabulary, deduplicate, split."""

from slopscope.tokendata.dataset import TokenDataset, fixed_length, prepare, split
from slopscope.tokendata.files import FORMATS, TOKENIZERS, Ragged, read_sequences
from slopscope.tokendata.vocab import PAD, Vocabulary


def load_token_data(options) -> TokenDataset:
    """Read and prepare a token data set from a text, .npy or Parquet file. `options` is the
    run's data configuration (slopscope.experiments.config.schema.DataConfig, or anything with its
    fields path, format, tokens, column, lowercase, pattern, length, pad, dedup, max_vocab);
    see `read_sequences` and `prepare`."""
    o = options
    ragged = read_sequences(o.path, o.format, o.tokens, o.column, o.lowercase, o.pattern)
    kind = o.tokens if ragged.symbols is not None else "ints"
    return prepare(ragged, kind, o.length, o.pad, o.dedup, o.max_vocab)


__all__ = ["FORMATS", "PAD", "TOKENIZERS", "Ragged", "TokenDataset", "Vocabulary",
           "fixed_length", "load_token_data", "prepare", "read_sequences", "split"]
