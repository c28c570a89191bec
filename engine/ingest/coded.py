"""A column as integer codes over its distinct values (`pd.factorize`), computed once and
shared: checks, duplicate detection and scoring all work on the codes, and any per-value
Python work runs once per distinct value instead of once per row."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd


@dataclass(frozen=True)
class Coded:
    codes: np.ndarray  # int per row; -1 for missing
    uniques: Any  # as pandas returns them; not turned into a list, which costs per value

    @classmethod
    def of(cls, values: pd.Series | np.ndarray, *, sort: bool = False) -> Coded:
        codes, uniques = pd.factorize(values, sort=sort)
        return cls(codes, uniques)

    def __len__(self) -> int:
        return len(self.uniques)

    def map(self, fn: Callable[[Any], Any]) -> np.ndarray:
        """fn of each row's value, as an object array (None for missing)."""
        table = np.array([fn(u) for u in self.uniques] + [None], dtype=object)
        return table[self.codes]

    def ints(self, fn: Callable[[Any], int]) -> np.ndarray:
        table = np.array([fn(u) for u in self.uniques] + [0], dtype=np.int64)
        return table[self.codes]

    def folded(self, fn: Callable[[Any], Any]) -> np.ndarray:
        """Codes after normalizing the distinct values: 'A' and 'a' share a code under lower."""
        folded, _ = pd.factorize(np.array([fn(u) for u in self.uniques] + [None], dtype=object))
        return folded[self.codes]
