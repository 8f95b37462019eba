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
from fundflow.scenario._schema_challenge import CHALLENGE_LABELS_ZH

__all__ = ["KEYS", "header_of", "parse_header"]

# key: unit kind (labels.UNITS), allowed values (English, Chinese). The Chinese name of a
# challenge key is declared with the key (scenario.schema); keys missing here are written
# and read in English only.
_HINTS: dict[str, tuple[str | None, str, str]] = {
    "name": (None, "text, unique in the list", "文本，不可重复"),
    "count": ("count", "whole number >= 1", "整数，≥1"),
    "group": (None, "text (challenges of a group fail together)", "文本（同组相关）"),
    "category": (None, "text", "文本"),
    "start": ("years", ">= 0", "≥0"),
    "selection_time": ("years", ">= 0", "≥0"),
    "total_investment": ("money", "> 0", ">0"),
    "demander_share": ("share", "0–1", "0–1"),
    "contract_price": ("money", ">= 0, or empty (demander_share)", "≥0，或留空（按出资比例）"),
    "demander_installments": (None, "", ""),
    "after": ("count", "0 = contract, j = review j", "0 = 签约，j = 第j次评审"),
    "share": ("share", "0–1, the shares sum to 1", "0–1，合计为1"),
    "solvers": ("count", "whole number >= 1", "整数，≥1"),
    "bidders": (
        "count",
        "whole number >= 1, or empty (solvers)",
        "整数，≥1，或留空（同揭榜方数量）",
    ),
    "race": (None, "", ""),
    "select_after": ("count", "a review before acceptance", "验收前的某次评审"),
    "keep": ("count", "whole number >= 1", "整数，≥1"),
    "compensate_eliminated": (None, "true | false", "true | false"),
    "overrun": ("ratio", ">= 0, or a distribution", "≥0，或分布"),
    "booking_period": ("years", "> 0, or empty", ">0，或留空"),
    "phases": (None, "", ""),
    "duration": ("years", ">= 0, or a distribution", "≥0，或分布"),
    "cost_share": ("share", "0–1, the phases' sum to 1", "0–1，各阶段合计为1"),
    "pass_probability": ("share", "0–1", "0–1"),
    "extension": (None, "", ""),
    "probability": ("share", "0–1", "0–1"),
    "value_on_success": ("money", ">= 0, or a distribution", "≥0，或分布"),
    "value_lag": ("years", ">= 0", "≥0"),
    "solver_value_on_success": ("money", ">= 0, or a distribution", "≥0，或分布"),
}
#: Chinese names of the parts of a header that are not challenge keys.
_OTHER_ZH = {"dist": "分布"}

# key: Chinese name, unit kind, allowed values (English, Chinese)
KEYS: dict[str, tuple[str, str | None, str, str]] = {
    **{key: (CHALLENGE_LABELS_ZH[key], *hint) for key, hint in _HINTS.items()},
    "dist": (_OTHER_ZH["dist"], None, "lognormal | triangular | uniform | normal | beta", ""),
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
