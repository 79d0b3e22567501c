"""Your own token data: read a file, fix one length, build the vocabulary, deduplicate, split."""

from slopscope.tokendata.dataset import TokenDataset, fixed_length, prepare, split
from slopscope.tokendata.files import FORMATS, TOKENIZERS, Ragged, read_sequences
from slopscope.tokendata.vocab import PAD, Vocabulary


def load_token_data(path, fmt: str = "auto", tokens: str = "chars", column: str = "",
                    lowercase: bool = False, pattern: str = "", length: int | None = None,
                    pad: bool = False, dedup: bool = True, max_vocab: int = 4096) -> TokenDataset:
    """Read and prepare a token data set from a text, .npy or Parquet file (see `read_sequences`
    and `prepare`)."""
    ragged = read_sequences(path, fmt, tokens, column, lowercase, pattern)
    kind = tokens if ragged.symbols is not None else "ints"
    return prepare(ragged, kind, length, pad, dedup, max_vocab)


__all__ = ["FORMATS", "PAD", "TOKENIZERS", "Ragged", "TokenDataset", "Vocabulary",
           "fixed_length", "load_token_data", "prepare", "read_sequences", "split"]
