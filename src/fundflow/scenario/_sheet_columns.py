"""Column headers of a challenge list: dotted paths, in English or Chinese.

A column of a challenge sheet is named by the challenge key it fills, as a dotted
path relative to the challenge (``total_investment``, ``race.keep``,
``phases[0].pass_probability``, ``value_on_success.median``). Each part of the path
may be written in English or by its Chinese name below (``阶段[0].通过概率``); a
unit in brackets at the end of a header (``总投资（百万元）``) is ignored.
"""

from __future__ import annotations

import difflib
import re
import unicodedata

from fundflow.errors import ConfigError

__all__ = ["KEYS", "header_of", "parse_header"]

# key: Chinese name, unit kind (labels.UNITS), allowed values (English, Chinese).
# Keys missing here are written and read in English only.
KEYS: dict[str, tuple[str, str | None, str, str]] = {
    "name": ("名称", None, "text, unique in the list", "文本，不可重复"),
    "count": ("数量", "count", "whole number >= 1", "整数，≥1"),
    "group": ("相关组", None, "text (challenges of a group fail together)", "文本（同组相关）"),
    "category": ("领域", None, "text", "文本"),
    "start": ("发布时间", "years", ">= 0", "≥0"),
    "selection_time": ("遴选用时", "years", ">= 0", "≥0"),
    "total_investment": ("总投资", "money", "> 0", ">0"),
    "demander_share": ("发榜方出资比例", "share", "0–1", "0–1"),
    "demander_installments": ("发榜方分期", None, "", ""),
    "after": ("里程碑", "count", "0 = contract, j = review j", "0 = 签约，j = 第j次评审"),
    "share": ("比例", "share", "0–1, the shares sum to 1", "0–1，合计为1"),
    "solvers": ("揭榜方数量", "count", "whole number >= 1", "整数，≥1"),
    "race": ("赛马", None, "", ""),
    "select_after": ("选拔评审", "count", "a review before acceptance", "验收前的某次评审"),
    "keep": ("保留数", "count", "whole number >= 1", "整数，≥1"),
    "compensate_eliminated": ("补偿淘汰方", None, "true | false", "true | false"),
    "overrun": ("超支系数", "ratio", ">= 0, or a distribution", "≥0，或分布"),
    "booking_period": ("入账期", "years", "> 0, or empty", ">0，或留空"),
    "phases": ("阶段", None, "", ""),
    "duration": ("时长", "years", ">= 0, or a distribution", "≥0，或分布"),
    "cost_share": ("成本占比", "share", "0–1, the phases' sum to 1", "0–1，各阶段合计为1"),
    "pass_probability": ("通过概率", "share", "0–1", "0–1"),
    "value_on_success": ("成功价值", "money", ">= 0, or a distribution", "≥0，或分布"),
    "value_lag": ("价值实现滞后", "years", ">= 0", "≥0"),
    "solver_value_on_success": (
        "揭榜方成功收益",
        "money",
        ">= 0, or a distribution",
        "≥0，或分布",
    ),
    "dist": ("分布", None, "lognormal | triangular | uniform | normal | beta", ""),
}
_FROM_ZH = {zh: key for key, (zh, *_) in KEYS.items()}
_PART = re.compile(r"^([^\[\].]+)((?:\[\d+\])*)$")
_UNIT = re.compile(r"\s*\([^()]*\)\s*$")


def _english(part: str, header: str, where: str) -> str:
    """One part of a header (``通过概率``, ``phases[0]``) as the English key part."""
    m = _PART.match(part.strip())
    if m is None:
        raise ConfigError(
            where,
            header,
            "not a column name: write a challenge key, nested keys by their dotted path "
            "such as phases[0].pass_probability",
        )
    key, index = m.group(1).strip(), m.group(2)
    if key in _FROM_ZH:
        return _FROM_ZH[key] + index
    if not key.isascii():
        close = difflib.get_close_matches(key, list(_FROM_ZH), n=1, cutoff=0.4)
        hint = f"did you mean '{close[0]}' ({_FROM_ZH[close[0]]})? " if close else ""
        raise ConfigError(
            where, header, f"unknown column; {hint}Chinese names: " + ", ".join(_FROM_ZH)
        )
    return key + index


def parse_header(header: str, where: str) -> str:
    """The dotted path a header names, in English.

    Parameters
    ----------
    header : str
        The header as written (full-width characters are normalised).
    where : str
        The header cell, for error messages.
    """
    text = unicodedata.normalize("NFKC", header).strip()
    text = _UNIT.sub("", text)
    return ".".join(_english(part, header, where) for part in text.split("."))


def header_of(path: str, lang: str) -> str:
    """The header of the dotted `path` in `lang` (``"en"`` or ``"zh"``)."""
    if lang != "zh":
        return path
    parts = []
    for part in path.split("."):
        m = _PART.match(part)
        key, index = (m.group(1), m.group(2)) if m else (part, "")
        parts.append(KEYS[key][0] + index if key in KEYS else part)
    return ".".join(parts)


def last_key(path: str) -> str:
    """The last key of a dotted path, without list indices (``phases[0].name`` -> ``name``)."""
    return re.sub(r"\[\d+\]", "", path.rsplit(".", 1)[-1])
