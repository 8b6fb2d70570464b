"""Writes docs/configuration.md from the settings table: `python -m etl.settings_doc`."""

from __future__ import annotations

from pathlib import Path

from etl.settings import SETTINGS

DOC = Path(__file__).resolve().parent.parent / "docs" / "configuration.md"

HEAD = """# 配置 · Configuration

All settings live in one TOML file: `pulse.toml` in the working directory, or the file named by
`PULSE_CONFIG`. Every key is optional; the defaults below apply. Sections are the part of the
name before the dot:

```toml
[indicators]
online_channels = ["网上办理", "掌上办理"]
satisfied_rating = 3

[targets]
online_rate = 0.90

[validation.aliases]
channel = { "网上申报" = "网上办理" }

[[columns.maps]]            # a vendor's headers → the contract's columns (docs/column-maps.en.md)
source = "cases"
name = "乙厂商办件明细"
[columns.maps.headers]
"业务流水号" = "case_id"
"受理单位" = "dept_name"
```

A key the product does not know is an error (a typo never silently falls back to a default).
Settings with an environment variable can also be set there; the environment wins.
This page is generated from `etl/settings.py` by `python -m etl.settings_doc`.

| setting | default | environment | meaning |
|---|---|---|---|
"""


def render() -> str:
    rows = [
        f"| `{s.name}` | `{s.default!r}` | {f'`{s.env}`' if s.env else ''} | {s.help} |"
        for s in SETTINGS
    ]
    return HEAD + "\n".join(rows) + "\n"


if __name__ == "__main__":
    DOC.write_text(render(), encoding="utf-8")
