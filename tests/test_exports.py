"""CSV exports: spreadsheet-safe text (OWASP CSV injection guidance), numbers kept as numbers."""

from __future__ import annotations

import csv
import io
import math
from datetime import UTC, datetime

import pandas as pd
import pytest

from engine.analytics.exports import FORMULA_TRIGGERS, csv_export, neutralise

BOM = b"\xef\xbb\xbf"


def rows_of(data: bytes) -> list[list[str]]:
    text = data.decode("utf-8-sig")
    return list(csv.reader(io.StringIO(text, newline="")))


def reread(data: bytes) -> pd.DataFrame:
    return pd.read_csv(io.BytesIO(data), encoding="utf-8-sig", keep_default_na=False)


@pytest.mark.parametrize(
    "cell",
    [
        '=HYPERLINK("http://evil.example","click")',
        "+1+cmd|' /C calc'!A0",
        "-2+3+cmd|' /C calc'!A0",
        "@SUM(1+1)*cmd|' /C calc'!A0",
        "\t=1+1",
        "\r=1+1",
    ],
)
def test_every_trigger_character_gets_an_apostrophe(cell: str) -> None:
    assert cell[0] in FORMULA_TRIGGERS
    data = csv_export(pd.DataFrame({"title": [cell]}))
    assert rows_of(data) == [["title"], ["'" + cell]]
    assert reread(data)["title"].tolist() == ["'" + cell]


def test_harmless_text_is_unchanged() -> None:
    cells = ["SQL injection in search", "a=b", "x - y", "user@example.com", " =not first", "'quoted"]
    data = csv_export(pd.DataFrame({"title": cells}))
    assert [r[0] for r in rows_of(data)[1:]] == cells


def test_numbers_stay_numbers_and_a_negative_number_is_not_a_formula() -> None:
    table = pd.DataFrame({"int": [-5, 0, 7], "float": [-1.5, 2.25, math.nan], "flag": [True, False, True]})
    data = csv_export(table)
    assert rows_of(data) == [
        ["int", "float", "flag"],
        ["-5", "-1.5", "True"],
        ["0", "2.25", "False"],
        ["7", "", "True"],
    ]
    back = reread(data)
    assert back["int"].tolist() == [-5, 0, 7]


def test_numbers_in_a_mixed_column_stay_numbers() -> None:
    data = csv_export(pd.DataFrame({"value": [-3, "-3", 2.5, "=1"]}, dtype=object))
    assert [r[0] for r in rows_of(data)[1:]] == ["-3", "'-3", "2.5", "'=1"]


def test_missing_values_are_empty_cells() -> None:
    table = pd.DataFrame({"text": ["a", None, math.nan, pd.NA], "url": [None, None, "https://x", None]})
    data = csv_export(table)
    assert rows_of(data)[1:] == [["a", ""], ["", ""], ["", "https://x"], ["", ""]]


def test_unicode_survives_with_a_bom_and_crlf() -> None:
    table = pd.DataFrame({"title": ["Injection in «search» — ünïcode 🔒", "日本語", "=ü"]})
    data = csv_export(table)
    assert data.startswith(BOM)
    assert data.count(b"\r\n") == 4 and data.replace(b"\r\n", b"").count(b"\n") == 0
    assert reread(data)["title"].tolist() == ["Injection in «search» — ünïcode 🔒", "日本語", "'=ü"]


def test_cells_with_quotes_commas_and_newlines_round_trip() -> None:
    cells = ['say "hi", then leave', "two\nlines", "=a,b"]
    data = csv_export(pd.DataFrame({"title": cells}))
    assert reread(data)["title"].tolist() == [cells[0], cells[1], "'=a,b"]


def test_header_names_are_neutralised_too() -> None:
    data = csv_export(pd.DataFrame({"=cmd": ["x"], "ok": ["y"]}))
    assert rows_of(data)[0] == ["'=cmd", "ok"]


def test_datetimes_and_arrow_strings() -> None:
    when = datetime(2024, 5, 1, 12, 30, tzinfo=UTC)
    table = pd.DataFrame(
        {
            "started": pd.Series([when, None], dtype="datetime64[ns, UTC]"),
            "service": pd.Series(["-svc", "api"], dtype="string[pyarrow]"),
        }
    )
    rows = rows_of(csv_export(table))
    assert rows[1] == ["2024-05-01 12:30:00+00:00", "'-svc"]
    assert rows[2] == ["", "api"]


def test_an_empty_table_is_a_header_row() -> None:
    assert csv_export(pd.DataFrame(columns=["a", "b"])) == BOM + b"a,b\r\n"


def test_neutralise_leaves_non_text_alone() -> None:
    assert neutralise(-1) == -1
    assert neutralise(None) is None
    assert neutralise("-1") == "'-1"
