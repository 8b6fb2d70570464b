"""The shape every source shares: which headers it has, what each value may be.

A source module (cases, hotline, evaluations, reference) only declares a `SOURCE`;
reading, validation and loading are generic and driven by these declarations, so the
data contract lives in one place per source.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Literal

# text and free_text: stored with phone and ID numbers masked (etl.privacy.mask_text);
# id: identifiers, joined on and kept whole; pii_hash / pii_name: never stored in clear.
Kind = Literal[
    "id",
    "text",
    "timestamp",
    "integer",
    "choice",
    "rating",
    "town",
    "yesno",
    "pii_hash",
    "pii_name",
    "free_text",
]


@dataclass(frozen=True)
class Column:
    header: str  # Chinese header as exported
    name: str  # store name (also accepted as a header)
    kind: Kind = "text"
    required: bool = False
    allowed: tuple[str, ...] = ()  # for kind == "choice"
    aliases: tuple[str, ...] = ()  # other headers seen in the wild, accepted as they are
    # a choice outside `allowed` is stored as this value, the text as read in <name>_raw
    other: str | None = None
    # an optional column real exports carry and older ones lack (contract §3a): when a file
    # lacks it, its records, hashes and rejects are what they were before it was declared
    supplementary: bool = False
    # text: when the file carries the column, an empty cell means "no" (stored ''), so that
    # "no value" (NULL: the file lacks the column) and "none" can be told apart
    empty_is_no: bool = False
    # other vendors' headers: only suggested by `pulse inspect`, never matched by themselves
    hints: tuple[str, ...] = ()


@dataclass(frozen=True)
class Source:
    name: str  # cases | hotline | evaluations | towns | departments
    label: str  # Chinese label for messages
    table: str  # store table
    id_column: str | None  # None for reference tables (replaced whole)
    columns: tuple[Column, ...] = field(default_factory=tuple)

    @property
    def required_headers(self) -> tuple[Column, ...]:
        return tuple(c for c in self.columns if c.required)

    def column(self, name: str) -> Column:
        return next(c for c in self.columns if c.name == name)


_SPACES = re.compile(r"\s+")
_FULL_WIDTH = str.maketrans({"（": "(", "）": ")", "：": ":", "　": " "})


def normalize_header(text: object) -> str:
    """Header as compared: no surrounding or inner spaces, half-width parentheses, lower case.

    "乡镇（街道）" and " 乡镇(街道) " and "Town_Code" all compare equal to their canonical form.
    """
    if text is None:
        return ""
    return _SPACES.sub("", str(text).translate(_FULL_WIDTH)).lower()
