"""A column as integer codes over its distinct values (`pd.factorize`), computed once and
shared: checks, duplicate detection and scoring all work on the codes, and any per-value
Python work runs once per distinct value instead of once per row."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import cached_property
from typing import Any

import numpy as np
import pandas as pd


@dataclass(frozen=True)
class Coded:
    codes: np.ndarray  # int per row; -1 for missing
    uniques: Any  # as pandas returns them; see `values`

    @classmethod
    def of(cls, values: pd.Series | np.ndarray) -> Coded:
        codes, uniques = pd.factorize(values)
        return cls(codes, uniques)

    def __len__(self) -> int:
        return len(self.uniques)

    @cached_property
    def values(self) -> list[Any]:
        """The distinct values as Python objects (through NumPy: iterating Arrow is slow)."""
        uniques = self.uniques
        return (uniques.to_numpy() if hasattr(uniques, "to_numpy") else np.asarray(uniques)).tolist()

    def lookup(self, fn: Callable[[Any], Any], dtype: Any = object, missing: Any = None) -> np.ndarray:
        """fn of each row's value, computed once per distinct value."""
        table = np.array([fn(u) for u in self.values] + [missing], dtype=dtype)
        return table[self.codes]

    def map(self, fn: Callable[[Any], Any]) -> np.ndarray:
        return self.lookup(fn)

    def ints(self, fn: Callable[[Any], int]) -> np.ndarray:
        return self.lookup(fn, np.int64, 0)

    def flags(self, fn: Callable[[Any], bool]) -> np.ndarray:
        return self.lookup(fn, bool, False)

    def folded(self, fn: Callable[[Any], Any]) -> np.ndarray:
        """Codes after normalizing the distinct values: 'A' and 'a' share a code under lower."""
        folded, _ = pd.factorize(np.array([fn(u) for u in self.values] + [None], dtype=object))
        return folded[self.codes]


class TableCodes:
    """Each column's codes, computed on first use and then shared by every check."""

    def __init__(self, table: pd.DataFrame) -> None:
        self._table = table
        self._codes: dict[str, Coded] = {}

    def __getitem__(self, column: str) -> Coded:
        if column not in self._codes:
            self._codes[column] = Coded.of(self._table[column])
        return self._codes[column]


def dense_rank(column: pd.Series) -> np.ndarray:
    """0-based codes in sorted order (equal values share one): a sort key and an identity
    at once, cheaper than a sorted factorize on Arrow strings."""
    return column.rank(method="dense").to_numpy(dtype=np.int64) - 1
