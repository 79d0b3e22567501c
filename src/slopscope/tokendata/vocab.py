"""The vocabulary of a user's data: token ids 0..V-1 for the data's tokens (sorted), plus an
optional pad token. Saved as JSON with the run; decodes generations back to the user's tokens."""

from __future__ import annotations

import json
from dataclasses import dataclass

import numpy as np

from slopscope.errors import SlopscopeError

PAD = "<pad>"
KINDS = {"chars": "", "whitespace": " ", "ints": " "}  # kind -> separator when rendering


@dataclass(frozen=True)
class Vocabulary:
    """`tokens[i]` is the user's token of id i (str for text, int for integer data); `pad` is the
    id of the pad token (the last id) or None."""

    tokens: tuple
    kind: str
    pad: int | None = None

    def __post_init__(self):
        if self.kind not in KINDS:
            raise SlopscopeError(f"vocabulary kind={self.kind!r}; allowed: {', '.join(KINDS)}")

    @property
    def size(self) -> int:
        return len(self.tokens) + (self.pad is not None)

    def decode(self, ids) -> list[list]:
        """Rows of token ids -> rows of the user's tokens (the pad id -> "<pad>")."""
        ids = np.asarray(ids)
        if ids.ndim != 2 or not np.issubdtype(ids.dtype, np.integer):
            raise SlopscopeError(f"ids have shape {ids.shape} and dtype {ids.dtype}; allowed: a "
                                 "(count, length) integer array")
        if ids.size and (ids.min() < 0 or ids.max() >= self.size):
            raise SlopscopeError(f"ids range over {ids.min()}..{ids.max()}; allowed: "
                                 f"0..{self.size - 1}")
        table = list(self.tokens) + ([PAD] if self.pad is not None else [])
        return [[table[i] for i in row] for row in ids.tolist()]

    def render(self, ids) -> list[str]:
        """Rows of token ids as readable text (pad shown as '·')."""
        sep = KINDS[self.kind]
        return [sep.join("·" if t == PAD else str(t) for t in row) for row in self.decode(ids)]

    def to_json(self) -> str:
        return json.dumps({"kind": self.kind, "tokens": list(self.tokens), "pad": self.pad},
                          ensure_ascii=False, indent=1)

    @classmethod
    def from_json(cls, text: str) -> Vocabulary:
        data = json.loads(text)
        return cls(tuple(data["tokens"]), data["kind"], data["pad"])
