"""Every source the loader recognises, in the order a run loads them (reference first)."""

from etl.sources import cases, evaluations, hotline, reference
from etl.sources.contract import Column, Source, normalize_header

ALL_SOURCES: tuple[Source, ...] = (
    reference.COUNTIES,
    reference.TOWNS,
    reference.DEPARTMENTS,
    cases.SOURCE,
    hotline.SOURCE,
    evaluations.SOURCE,
)

__all__ = ["ALL_SOURCES", "Column", "Source", "normalize_header"]
