"""One demo county (seed 7, scale 0.02) for the whole package, and its files read back."""

from __future__ import annotations

import polars as pl
import pytest

from etl import demo
from tests.etl.demo.helpers import (
    END,
    SCALE,
    _files,
    _read_text,
    _read_xlsx,
    _ts,
    _with_town_code,
)


@pytest.fixture(scope="package")
def county(tmp_path_factory) -> demo.DemoSummary:
    calls: list[tuple[str, float]] = []
    out = tmp_path_factory.mktemp("demo")
    summary = demo.generate(
        out, seed=7, scale=SCALE, end=END, progress=lambda label, f: calls.append((label, f))
    )
    summary.progress_calls = calls  # type: ignore[attr-defined]
    return summary


@pytest.fixture(scope="package")
def towns(county) -> pl.DataFrame:
    return pl.read_csv(county.out_dir / "towns.csv", infer_schema=False)


@pytest.fixture(scope="package")
def departments(county) -> pl.DataFrame:
    return pl.read_csv(county.out_dir / "departments.csv", infer_schema=False)


@pytest.fixture(scope="package")
def cases(county, towns) -> pl.DataFrame:
    frames = [_read_text(p) for p in _files(county, "cases_") if p.suffix == ".csv"]
    frames += [_read_xlsx(p)[1] for p in _files(county, "cases_") if p.suffix == ".xlsx"]
    df = _with_town_code(pl.concat(frames, how="diagonal"), towns)
    return df.with_columns(
        acc=_ts("受理时间"),
        done=_ts("办结时间"),
        rec=_ts("录入时间"),
        days=pl.col("承诺时限").cast(pl.Int64, strict=False),
    ).with_columns(
        lag_s=(pl.col("rec") - pl.col("acc")).dt.total_seconds(),
        close_s=(pl.col("done") - pl.col("acc")).dt.total_seconds(),
    )


@pytest.fixture(scope="package")
def evaluations(county, towns) -> pl.DataFrame:
    df = pl.concat([_read_text(p) for p in _files(county, "evaluations_")])
    return _with_town_code(df, towns)


@pytest.fixture(scope="package")
def tickets(county, towns) -> pl.DataFrame:
    df = pl.concat([_read_text(p) for p in _files(county, "hotline_")])
    return _with_town_code(df, towns)
