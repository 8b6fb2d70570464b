"""Personal data never lands in the store in clear.

- ID and phone numbers become keyed hashes (HMAC-SHA256 with a per-installation secret kept
  outside the store): equal numbers still match (repeat callers), but the store alone
  cannot be reversed by hashing all 11-digit phone numbers.
- Applicant names are masked to the surname: 张*, 李**, 欧阳**.
- Every text column (事项名称, 受理部门, 一级分类, 诉求内容, 评价内容, the optional text columns,
  town and department names, and every raw value kept with a rejected row) has ID and
  mobile numbers masked: 110*************1X, 138****5678. Identifiers (办件编号, 事项编码,
  工单编号, 评价编号, 乡镇代码) are kept whole: they are joined on, and masking could make
  two of them equal.

Each rule exists twice with identical results: as TEMP macros on a DuckDB connection
(`register_sql`, used by the load on whole tables) and as Python functions (used for the
raw values kept with rejected rows, and to test the SQL).

mask_text only masks numbers that stand alone: a digit run that is longer than the
pattern (a 20-digit case number, a 12-digit division code) is not an ID or phone number
and is left whole rather than half-masked. Every pattern holds four digits in a row, so a
text without them is returned as it is before any pattern runs: most text columns (item
names, departments) hold no such run, and the load pays ~0.07 s per column of 850,000
values instead of ~0.6 s.
"""

from __future__ import annotations

import contextlib
import hashlib
import hmac
import os
import re
import secrets
from pathlib import Path

import duckdb

from etl import settings

SECRET_BYTES = 32

COMPOUND_SURNAMES = (
    "欧阳", "司马", "上官", "诸葛", "东方", "皇甫", "尉迟", "公孙", "慕容", "长孙", "宇文",
    "司徒", "夏侯", "令狐", "端木", "轩辕", "独孤", "南宫", "西门", "万俟", "闻人", "申屠",
    "澹台", "公冶", "呼延", "赫连",
)  # fmt: skip

# Characters are listed literally so that Python `re` and DuckDB's RE2 read the same class.
_SPACES = " \t\r\n\u00a0\u3000"
_DASHES = "-\u2010\u2011\u2012\u2013\u2014\u2015\u2212\uff0d"
_WIDE_TO_ASCII = dict(zip("０１２３４５６７８９Ｘｘx＋", "0123456789XXX+", strict=True))
_WIDE_FROM = "".join(_WIDE_TO_ASCII)
_WIDE_TO = "".join(_WIDE_TO_ASCII.values())
_STRIP_CLASS = "[" + _DASHES + _SPACES + "]"  # "-" first: a literal in both dialects
_NAME_SPACE_CLASS = "[" + _SPACES + "]"
_PHONE_PREFIX = r"^(?:\+|00)?86(1[3-9][0-9]{9})$"
_NO_VALUE = ("", "/", "无")

# mask_text patterns: D = a digit (half or full width), B = not a digit.
_D = "[0-9０-９]"
_B = "[^0-9０-９]"
_SEP = "[- －\u3000]?"
_TEXT_RULES = (
    # 18-character ID number: keep the first 3 and the last 2
    (rf"(^|{_B})({_D}{{3}}){_D}{{13}}({_D}[0-9０-９XxＸｘ])({_B}|$)", r"\1\2" + "*" * 13 + r"\3\4"),
    # 15-digit ID number (issued before 1999): keep the first 3 and the last 2
    (rf"(^|{_B})({_D}{{3}}){_D}{{10}}({_D}{{2}})({_B}|$)", r"\1\2" + "*" * 10 + r"\3\4"),
    # mobile: 13812345678, 138 1234 5678, 138-1234-5678, +86 13812345678, 8613812345678
    (
        rf"(^|{_B})(?:(?:[+＋]|00)?[8８][6６]{_SEP})?([1１]{_D}{{2}}){_SEP}{_D}{{4}}{_SEP}({_D}{{4}})({_B}|$)",
        r"\1\2****\3\4",
    ),
)


def _python_regex(pattern: str) -> re.Pattern[str]:
    # RE2 (DuckDB) `$` is the end of the text; Python's also matches before a final newline.
    return re.compile(pattern.replace("$", r"\Z"))


def _sql_regex(pattern: str) -> str:
    return pattern.replace("$", r"\z").replace("'", "''")


_PY_STRIP = _python_regex(_STRIP_CLASS)
_PY_NAME_SPACE = _python_regex(_NAME_SPACE_CLASS)
_PY_PHONE_PREFIX = _python_regex(_PHONE_PREFIX)
# Every _TEXT_RULES pattern contains four digits in a row: text without them is left alone
# (also usable as a polars / Rust regex, to find whole columns that need no masking).
MAY_HOLD_NUMBER = _MAY_HOLD_NUMBER = "[0-9０-９]{4}"
_PY_TEXT_RULES = tuple((_python_regex(p), r) for p, r in _TEXT_RULES)
_PY_MAY_HOLD_NUMBER = _python_regex(_MAY_HOLD_NUMBER)
_WIDE_TABLE = str.maketrans(_WIDE_TO_ASCII)


# --- the secret -----------------------------------------------------------------------


class SecretFileError(ValueError):
    """The secret file exists but does not hold a secret."""


def load_or_create_secret(path: Path | None = None) -> bytes:
    """The installation's secret (32 bytes, stored as hex), created with mode 0600 on first use.

    Hashes already in the store depend on it: replacing or losing it makes every repeat-caller
    and ID match start afresh.
    """
    path = Path(path) if path is not None else settings.secret_path()
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        _create_secret(path)
    text = path.read_text(encoding="ascii", errors="replace").strip()
    if not re.fullmatch(rf"[0-9a-fA-F]{{{2 * SECRET_BYTES}}}", text):
        raise SecretFileError(
            f"{path}: 密钥文件格式错误（应为{2 * SECRET_BYTES}位十六进制字符）。"
            f"The secret file is malformed (expected {2 * SECRET_BYTES} hex characters). "
            "Restore it from backup; deleting it creates a new secret, and hashes already "
            "in the store will no longer match new ones."
        )
    return bytes.fromhex(text)


def _create_secret(path: Path) -> None:
    # Write a private temporary file, then link it into place: another process creating the
    # secret at the same moment either wins (we read its secret) or loses; never half a file.
    tmp = path.with_name(f".{path.name}.{os.getpid()}.{secrets.token_hex(4)}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        with os.fdopen(fd, "w", encoding="ascii") as fh:
            fh.write(secrets.token_bytes(SECRET_BYTES).hex() + "\n")
            fh.flush()
            os.fsync(fh.fileno())
        with contextlib.suppress(FileExistsError):
            os.link(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)


# --- Python twins -----------------------------------------------------------------------


def normalize_identifier(value: str | None) -> str | None:
    """ID or phone number as hashed: no spaces or dashes, ASCII digits, upper-case X, a
    leading +86/86/0086 dropped from a mobile number; None when nothing is left."""
    if value is None:
        return None
    s = _PY_STRIP.sub("", str(value).translate(_WIDE_TABLE))
    s = _PY_PHONE_PREFIX.sub(r"\1", s)
    if s in _NO_VALUE or s.upper() == "NULL":
        return None
    return s


# Hex digits written as the letters g–p: a hash in hex would contain runs of decimal digits
# that look like phone or ID numbers to anyone (or any audit tool) scanning the store.
_HEX_TO_LETTERS = str.maketrans("0123456789", "ghijklmnop")


def hash_value(secret: bytes, value: str | None) -> str | None:
    """HMAC-SHA256 of the normalised value: 64 hex characters with the digits 0–9 written
    as g–p (so a-p only); None for no value."""
    norm = normalize_identifier(value)
    if norm is None:
        return None
    return (
        hmac.new(secret, norm.encode("utf-8"), hashlib.sha256)
        .hexdigest()
        .translate(_HEX_TO_LETTERS)
    )


def mask_name(s: str | None) -> str | None:
    """张三 -> 张*, 李小明 -> 李**, 欧阳娜娜 -> 欧阳**, 欧阳 -> 欧*, a single character -> *."""
    if s is None:
        return None
    name = _PY_NAME_SPACE.sub("", str(s))
    if not name:
        return None
    if len(name) == 1:
        return "*"
    keep = 2 if len(name) > 2 and name[:2] in COMPOUND_SURNAMES else 1
    return name[:keep] + "*" * (len(name) - keep)


def mask_text(s: str | None) -> str | None:
    """Free text with standalone ID numbers (18 or 15 characters) and mobile numbers masked."""
    if s is None:
        return None
    text = str(s)
    if not _PY_MAY_HOLD_NUMBER.search(text):
        return text
    for pattern, replacement in _PY_TEXT_RULES:
        # Twice: a match consumes the character after it, which may be the one that
        # separates the next number from it ("13812345678,13912345678").
        text = pattern.sub(replacement, text)
        text = pattern.sub(replacement, text)
    return text


# --- SQL --------------------------------------------------------------------------------


def _hmac_pads(secret: bytes) -> tuple[bytes, bytes]:
    key = hashlib.sha256(secret).digest() if len(secret) > 64 else secret
    key = key.ljust(64, b"\0")
    return bytes(b ^ 0x36 for b in key), bytes(b ^ 0x5C for b in key)


def _sql_text(s: str) -> str:
    return "'" + s.replace("'", "''") + "'"


def register_sql(con: duckdb.DuckDBPyConnection, secret: bytes) -> None:
    """Create TEMP macros pii_hash(v), mask_name(v) and mask_text(v) on the connection.

    pii_hash is HMAC-SHA256 written in SQL (the key pads are embedded as blob literals), so
    the secret itself is never a value in a query and no Python UDF slows the load.
    """
    ipad, opad = _hmac_pads(secret)
    no_value = ", ".join(_sql_text(v) for v in _NO_VALUE)
    statements = [
        f"""
        create or replace temp macro _pii_norm(v) as regexp_replace(
            regexp_replace(translate(v::varchar, {_sql_text(_WIDE_FROM)}, {_sql_text(_WIDE_TO)}),
                           '{_sql_regex(_STRIP_CLASS)}', '', 'g'),
            '{_sql_regex(_PHONE_PREFIX)}', '\\1')
        """,
        f"""
        create or replace temp macro _pii_hmac(n) as case
            when n is null or n in ({no_value}) or upper(n) = 'NULL' then null
            else translate(
                sha256(unhex('{opad.hex()}') || unhex(sha256(unhex('{ipad.hex()}') || encode(n)))),
                '0123456789', 'ghijklmnop')
        end
        """,
        "create or replace temp macro pii_hash(v) as _pii_hmac(_pii_norm(v))",
    ]
    for statement in statements:
        con.execute(statement)
    register_masks(con)


def register_masks(con: duckdb.DuckDBPyConnection) -> None:
    """Create TEMP macros mask_name(v) and mask_text(v) (no secret needed)."""
    compounds = ", ".join(_sql_text(c) for c in COMPOUND_SURNAMES)
    text_expr = "v::varchar"
    for pattern, replacement in _TEXT_RULES:
        for _ in range(2):
            text_expr = (
                f"regexp_replace({text_expr}, '{_sql_regex(pattern)}', "
                f"{_sql_text(replacement)}, 'g')"
            )
    statements = [
        f"""
        create or replace temp macro _mask_name_n(n) as case
            when n is null or n = '' then null
            when length(n) = 1 then '*'
            when length(n) > 2 and left(n, 2) in ({compounds})
                then left(n, 2) || repeat('*', length(n) - 2)
            else left(n, 1) || repeat('*', length(n) - 1)
        end
        """,
        f"""
        create or replace temp macro mask_name(v) as
            _mask_name_n(regexp_replace(v::varchar, '{_sql_regex(_NAME_SPACE_CLASS)}', '', 'g'))
        """,
        f"""
        create or replace temp macro mask_text(v) as case
            when regexp_matches(v::varchar, '{_MAY_HOLD_NUMBER}') then {text_expr}
            else v::varchar
        end
        """,
    ]
    for statement in statements:
        con.execute(statement)
