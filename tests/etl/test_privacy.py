"""Personal data: keyed hashes and masks, SQL macros equal to their Python twins."""

from __future__ import annotations

import hashlib
import hmac
import random
import re
import stat

import duckdb
import pyarrow as pa
import pytest

from etl import privacy
from etl.privacy import SecretFileError, hash_value, load_or_create_secret, mask_name, mask_text

SECRET = bytes.fromhex("8f" * 16 + "01" * 16)


@pytest.fixture
def con():
    connection = duckdb.connect()
    privacy.register_sql(connection, SECRET)
    yield connection
    connection.close()


def sql_map(con, function: str, values: list) -> list:
    """function(v) for every value, in order, computed by DuckDB."""
    con.register(
        "vals", pa.table({"i": list(range(len(values))), "v": pa.array(values, pa.string())})
    )
    try:
        return [r[0] for r in con.execute(f"select {function}(v) from vals order by i").fetchall()]
    finally:
        con.unregister("vals")


# --- deterministic generators -----------------------------------------------------------

HANZI = (
    "张王李赵刘陈杨黄周吴徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾萧田董潘袁蔡蒋余"
    "于杜叶程魏苏吕丁任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯"
    "龙史陶黎贺顾毛郝龚邵万钱严覃武戴莫孔向汤小明华红丽伟芳娜敏静"
)
WORDS = [
    "电话",
    "身份证",
    "号码",
    "：",
    "，",
    "。",
    " ",
    "\n",
    "办件编号",
    "联系",
    "tel:",
    "ID",
    "x",
    "X",
    "/",
    "-",
    "（",
    "）",
    "a",
]
SEPARATORS = ["", " ", "-", "　", "－", "\t", "—"]


def digits(rng: random.Random, n: int, first: str = "") -> str:
    return first + "".join(rng.choice("0123456789") for _ in range(n - len(first)))


def widen(rng: random.Random, s: str) -> str:
    """Sometimes write the digits full width, as an IME does."""
    if rng.random() < 0.15:
        return s.translate(str.maketrans("0123456789Xx", "０１２３４５６７８９Ｘｘ"))
    return s


def phone(rng: random.Random) -> str:
    number = "1" + rng.choice("3456789") + digits(rng, 9)
    if rng.random() < 0.4:
        sep = rng.choice(["-", " "])
        number = f"{number[:3]}{sep}{number[3:7]}{sep}{number[7:]}"
    prefix = rng.choice(["", "", "", "+86", "+86 ", "86", "0086", "+86-"])
    return widen(rng, prefix + number)


def id_number(rng: random.Random) -> str:
    if rng.random() < 0.2:
        return widen(rng, digits(rng, 15, rng.choice("1234567")))
    return widen(rng, digits(rng, 17, rng.choice("1234567")) + rng.choice("0123456789Xx"))


def identifier(rng: random.Random) -> str | None:
    kind = rng.random()
    if kind < 0.4:
        value = phone(rng)
    elif kind < 0.7:
        value = id_number(rng)
    elif kind < 0.8:
        value = rng.choice(["", "-", " ", "无", "NULL", "null", "/", "  -  ", "Null"])
    elif kind < 0.9:
        value = "".join(rng.choice(WORDS + list("0123456789")) for _ in range(rng.randrange(1, 12)))
    else:
        value = digits(rng, rng.randrange(1, 25))
    if rng.random() < 0.2:  # noisy spacing and dashes
        pos = rng.randrange(len(value) + 1)
        value = value[:pos] + rng.choice(SEPARATORS) + value[pos:]
    return value


def name(rng: random.Random) -> str | None:
    kind = rng.random()
    if kind < 0.05:
        return None
    if kind < 0.1:
        return rng.choice(["", " ", "　"])
    surname = rng.choice(privacy.COMPOUND_SURNAMES) if kind < 0.35 else rng.choice(HANZI)
    value = surname + "".join(rng.choice(HANZI) for _ in range(rng.randrange(0, 4)))
    if rng.random() < 0.15:
        value = rng.choice([" ", "　", "\t"]) + value + rng.choice(["", " "])
    if rng.random() < 0.05:
        value = rng.choice(["John Smith", "阿卜杜拉·买买提", "e\u0301mile", "某某科技有限公司"])
    return value


def free_text(rng: random.Random) -> str | None:
    if rng.random() < 0.05:
        return None
    parts = []
    for _ in range(rng.randrange(0, 10)):
        kind = rng.random()
        if kind < 0.25:
            parts.append(phone(rng))
        elif kind < 0.4:
            parts.append(id_number(rng))
        elif kind < 0.55:
            parts.append(digits(rng, rng.randrange(1, 24), rng.choice(["", "1", "8"])))
        else:
            parts.append(rng.choice(WORDS))
        if rng.random() < 0.5:  # numbers often separated by a single character
            parts.append(rng.choice([",", "、", " ", "\n", "，", "X"]))
    return "".join(parts)


# --- hashes -------------------------------------------------------------------------------


def test_hash_is_hmac_sha256_of_the_normalised_value():
    expected = (
        hmac.new(SECRET, b"13812345678", hashlib.sha256)
        .hexdigest()
        .translate(str.maketrans("0123456789", "ghijklmnop"))
    )
    for written in [
        "13812345678",
        "138 1234 5678",
        "138-1234-5678",
        "+86 13812345678",
        "+86-138-1234-5678",
        "8613812345678",
        "0086 138 1234 5678",
        "１３８１２３４５６７８",
        " 13812345678\t",
    ]:
        assert hash_value(SECRET, written) == expected, written
    id_hash = (
        hmac.new(SECRET, b"11010119900307451X", hashlib.sha256)
        .hexdigest()
        .translate(str.maketrans("0123456789", "ghijklmnop"))
    )
    assert hash_value(SECRET, "11010119900307451x") == id_hash
    assert hash_value(SECRET, "110101 19900307 451X") == id_hash
    # the prefix is dropped only from a mobile number
    assert hash_value(SECRET, "8605718888888") == hmac.new(
        SECRET, b"8605718888888", hashlib.sha256
    ).hexdigest().translate(str.maketrans("0123456789", "ghijklmnop"))
    assert re.fullmatch(r"[a-p]{64}", expected)


@pytest.mark.parametrize("empty", [None, "", " ", "-", "—", "无", "/", "NULL", "null"])
def test_no_value_hashes_to_null(con, empty):
    assert hash_value(SECRET, empty) is None
    assert sql_map(con, "pii_hash", [empty]) == [None]


def test_hash_depends_on_the_secret():
    assert hash_value(SECRET, "13812345678") != hash_value(b"\x00" * 32, "13812345678")


def test_sql_hash_equals_python_on_many_values(con):
    rng = random.Random(20261103)
    values = [identifier(rng) for _ in range(3000)]
    assert sql_map(con, "pii_hash", values) == [hash_value(SECRET, v) for v in values]


@pytest.mark.parametrize("secret", [b"k", b"\xff" * 64, bytes(range(100))])
def test_sql_hash_with_other_key_lengths(secret):
    connection = duckdb.connect()
    privacy.register_sql(connection, secret)
    got = connection.execute("select pii_hash('11010119900307451x')").fetchone()[0]
    assert got == hmac.new(secret, b"11010119900307451X", hashlib.sha256).hexdigest().translate(
        str.maketrans("0123456789", "ghijklmnop")
    )


def test_sql_hash_of_a_number_column(con):
    got = con.execute("select pii_hash(13812345678::bigint)").fetchone()[0]
    assert got == hash_value(SECRET, "13812345678")


# --- names --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "masked"),
    [
        ("张三", "张*"),
        ("李小明", "李**"),
        ("欧阳娜娜", "欧阳**"),
        ("欧阳娜", "欧阳*"),
        ("欧阳", "欧*"),
        ("司马相如", "司马**"),
        ("张", "*"),
        (" 张 三 ", "张*"),
        ("　王五", "王*"),
        ("阿卜杜拉·买买提", "阿*******"),
        (None, None),
        ("", None),
        ("  ", None),
    ],
)
def test_mask_name(con, raw, masked):
    assert mask_name(raw) == masked
    assert sql_map(con, "mask_name", [raw]) == [masked]


def test_sql_mask_name_equals_python_on_many_values(con):
    rng = random.Random(7)
    values = [name(rng) for _ in range(3000)]
    assert sql_map(con, "mask_name", values) == [mask_name(v) for v in values]


# --- free text -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "masked"),
    [
        ("电话13812345678", "电话138****5678"),
        ("电话 138 1234 5678 谢谢", "电话 138****5678 谢谢"),
        ("138-1234-5678", "138****5678"),
        ("+86 13812345678", "138****5678"),
        ("8613812345678。", "138****5678。"),
        ("１３８１２３４５６７８", "１３８****５６７８"),
        ("13812345678,13912345678、13712345678", "138****5678,139****5678、137****5678"),
        ("身份证110101199003074518", "身份证110*************18"),
        ("证件11010119900307451X号", "证件110*************1X号"),
        ("11010119900307451x", "110*************1x"),
        ("旧证110101900307451。", "旧证110**********51。"),
        ("110101199003074518\n13812345678", "110*************18\n138****5678"),
        # standalone 11-digit numbers starting with 1 are masked even if not a real prefix
        ("10012345678", "100****5678"),
        # digits of longer runs are left whole, never half-masked
        ("办件编号20261103000012345678", "办件编号20261103000012345678"),
        ("乡镇代码330102001000", "乡镇代码330102001000"),
        ("1381234567890", "1381234567890"),
        ("6222021381234567890", "6222021381234567890"),
        ("11010119900307451X5", "11010119900307451X5"),
        # landlines and short numbers are not personal enough to mask
        ("0571-88888888 转 8001", "0571-88888888 转 8001"),
        ("2026-11-03 09:15:22", "2026-11-03 09:15:22"),
        ("", ""),
        (None, None),
    ],
)
def test_mask_text(con, raw, masked):
    assert mask_text(raw) == masked
    assert sql_map(con, "mask_text", [raw]) == [masked]


STANDALONE_RUN = re.compile(r"[0-9０-９]+[XxＸｘ]?")
ASCII_DIGITS = str.maketrans("０１２３４５６７８９ＸｘＸ", "0123456789XXX")


def surviving_numbers(text: str) -> list[str]:
    """Standalone numbers that look like a mobile or ID number (what must not survive)."""
    found = []
    for m in STANDALONE_RUN.finditer(text):
        run = m.group().translate(ASCII_DIGITS)
        if m.end() < len(text) and text[m.end()] in "0123456789０１２３４５６７８９":
            continue  # glued to more digits after an X: not standalone
        plain = run.rstrip("Xx")
        if (
            (len(run) == 11 and run.startswith("1") and run == plain)
            or (len(run) == 13 and run.startswith("861") and run == plain)
            or (len(run) == 15 and run == plain)
            or len(run) == 18
            or (len(plain) == 18)
        ):
            found.append(m.group())
    return found


def test_sql_mask_text_equals_python_and_nothing_survives(con):
    rng = random.Random(12345)
    values = [free_text(rng) for _ in range(4000)]
    python = [mask_text(v) for v in values]
    assert sql_map(con, "mask_text", values) == python
    for raw, masked in zip(values, python, strict=True):
        if masked is not None:
            assert surviving_numbers(masked) == [], (raw, masked)
    # the generator does produce the numbers in question
    assert sum(len(surviving_numbers(v)) for v in values if v) > 1000


def test_macros_are_per_connection_and_replaceable():
    connection = duckdb.connect()
    privacy.register_sql(connection, SECRET)
    privacy.register_sql(connection, b"\x01" * 32)
    got = connection.execute("select pii_hash('13812345678')").fetchone()[0]
    assert got == hash_value(b"\x01" * 32, "13812345678")


# --- the secret -------------------------------------------------------------------------------


def test_secret_created_once_private_and_reused(tmp_path):
    path = tmp_path / "deep" / "er" / "secret.key"
    first = load_or_create_secret(path)
    assert len(first) == 32
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert path.read_text().strip() == first.hex()
    assert load_or_create_secret(path) == first
    assert [p.name for p in path.parent.iterdir()] == ["secret.key"]  # no temporary left
    other = load_or_create_secret(tmp_path / "other.key")
    assert other != first


def test_secret_default_path_from_setting(tmp_path, monkeypatch):
    path = tmp_path / "from-env.key"
    monkeypatch.setenv("PULSE_SECRET_FILE", str(path))
    secret = load_or_create_secret()
    assert path.exists()
    assert load_or_create_secret(path) == secret


@pytest.mark.parametrize("content", ["", "abc", "zz" * 32, "00" * 31, "00" * 33, "\x00\x01"])
def test_malformed_secret_file_is_an_error(tmp_path, content):
    path = tmp_path / "secret.key"
    path.write_text(content)
    with pytest.raises(SecretFileError, match=re.escape(str(path))):
        load_or_create_secret(path)
    assert path.read_text() == content  # never overwritten
