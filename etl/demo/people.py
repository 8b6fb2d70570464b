"""Personal data as the platforms export it: names, mobile numbers, resident ID numbers
(format-valid, GB 11643 check digit). Drawn, never real."""

from __future__ import annotations

import numpy as np
import polars as pl

from etl.demo.draws import _DAY, _choice

_SURNAMES = tuple(
    "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁"
    "任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝龚邵万钱严覃武戴"
    "莫孔向汤"
)
_COMPOUND_SURNAMES = ("欧阳", "司马", "诸葛", "上官", "慕容", "司徒", "皇甫")
_GIVEN = tuple(
    "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华玉兰萍红建国文辉鹏飞宇浩婷雪琳晶颖俊帅鑫斌宏海波"
    "春梅林峰志成德福云凤荣新亮金燕晓佳欣怡梓涵子轩诺雨思嘉博泽睿瑞昊然琪悦欢"
)
# fmt: off
_PHONE_PREFIXES = ("130", "131", "132", "133", "135", "136", "137", "138", "139", "150", "151",
                   "152", "155", "157", "158", "159", "176", "177", "180", "181", "182", "183",
                   "186", "187", "188", "189", "198", "199")
# fmt: on
_ID_AREAS = (339901, 330102, 330523, 331002, 340103, 360124, 420117, 510107)
_ID_WEIGHTS = np.array([7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2])


def _names(rng: np.random.Generator, n: int) -> pl.Series:
    w = 1.0 / (np.arange(len(_SURNAMES)) + 8.0)
    surnames = _SURNAMES + _COMPOUND_SURNAMES
    weights = np.concatenate([w / w.sum() * 0.988, np.full(len(_COMPOUND_SURNAMES), 0.012 / 7)])
    s = pl.Series(surnames).gather(_choice(rng, n, weights))
    g1 = pl.Series(_GIVEN).gather(rng.integers(0, len(_GIVEN), n))
    g2 = pl.Series(_GIVEN).gather(rng.integers(0, len(_GIVEN), n))
    g2 = pl.select(pl.when(pl.lit(pl.Series(rng.random(n) < 0.7))).then(pl.lit(g2))).to_series()
    return pl.select(
        pl.concat_str([pl.lit(s), pl.lit(g1), pl.lit(g2)], ignore_nulls=True)
    ).to_series()


def _phones(rng: np.random.Generator, n: int) -> pl.Series:
    return _phone_strings(rng.integers(0, len(_PHONE_PREFIXES), n), rng.integers(0, 10**8, n))


def _phone_strings(prefix: np.ndarray, rest: np.ndarray) -> pl.Series:
    p = pl.Series(_PHONE_PREFIXES).gather(prefix)
    r = pl.Series(rest).cast(pl.String).str.zfill(8)
    return pl.select(pl.lit(p) + pl.lit(r)).to_series()


def _id_numbers(rng: np.random.Generator, at: np.ndarray) -> pl.Series:
    """Format-valid resident ID numbers (GB 11643 check digit) of adults at time `at`."""
    n = len(at)
    area = np.array(_ID_AREAS)[_choice(rng, n, [85, 3, 2, 2, 2, 2, 2, 2])]
    birth = (at // _DAY - rng.integers(18 * 365, 88 * 365, n)).astype("datetime64[D]")
    y = birth.astype("datetime64[Y]").astype(np.int64) + 1970
    mo = birth.astype("datetime64[M]").astype(np.int64) % 12 + 1
    d = (birth - birth.astype("datetime64[M]")).astype(np.int64) + 1
    body = area * 10**11 + (y * 10000 + mo * 100 + d) * 1000 + rng.integers(1, 1000, n)
    total = np.zeros(n, dtype=np.int64)
    for i, w in enumerate(_ID_WEIGHTS):
        total += (body // 10 ** (16 - i)) % 10 * w
    check = pl.Series(list("10X98765432")).gather(total % 11)
    return pl.select(pl.lit(pl.Series(body).cast(pl.String)) + pl.lit(check)).to_series()
