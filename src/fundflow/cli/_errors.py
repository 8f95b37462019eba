"""The one ``error:`` line of a failed command, in the language of ``--lang``.

In English the line is ``error: MESSAGE``. With ``--lang zh`` its frame is
Chinese: ``错误：``, the key path and the value as written, then what is allowed
after ``应为`` (``错误：discount_rate = 3：应为 (-1, 1] 内的数（是否应为 0.03？）``).
Key paths, values, option names and file names are never translated; the usual
phrases of what is allowed are (:data:`_PHRASES`), and what none of them covers
stays as written.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from fundflow.errors import ConfigError

__all__ = ["error_line", "lang_of"]

#: English phrases of an error message and their Chinese frame, applied in order.
_PHRASES: tuple[tuple[str, str], ...] = (
    (r"^missing: this key is required$", "缺失：此键为必填项"),
    (r"^missing: ", "缺失："),
    (r"\s*\(did you mean ([^()]*)\?\)", r"（是否应为 \1？）"),
    (r"(^|; )did you mean (.*?)\? ", r"\1是否应为 \2？"),
    (r"; did you mean (.*?)\?", r"；是否应为 \1？"),
    (r"^unknown key; ", "未知的键；"),
    (r"^no such key; ", "没有这个键；"),
    (r"allowed here: ", "此处允许："),
    (r"keys under (\S+): ", r"\1 下的键："),
    (r"^must be a number; must be ", "应为数值，且 "),
    (r"^must be a finite number \(", "应为有限数（"),
    (r"^must be a whole number >= (\S+)", r"应为 ≥ \1 的整数"),
    (r"^must be a finite number ([<>]=?) (\S+)", r"应为 \1 \2 的有限数"),
    (r"^must be a number ([<>]=?) (\S+)", r"应为 \1 \2 的数"),
    (r"^must be a finite number", "应为有限数"),
    (r"^must be in ([(\[][^)\]]*[)\]])", r"应为 \1 内的数"),
    (r"^must be one or more of ", "应为以下一项或多项："),
    (r"^must be one of ", "应为以下之一："),
    (r"^must be at most (\S+)", r"应为不大于 \1 的数"),
    (r"^must be at least (\S+)", r"应为不小于 \1 的数"),
    (r"^must be true or false", "应为 true 或 false"),
    (r"^must be non-empty text", "应为非空文本"),
    (r"^must be a list", "应为列表"),
    (r"^must hold at least (\S+) item\(s\)", r"应至少有 \1 项"),
    (r"^must be ", "应为 "),
    (r", or null$", "，或 null"),
    (r"^cannot write: ", "无法写入："),
)
_COMPILED = tuple((re.compile(p), r) for p, r in _PHRASES)

_PREFIX = {"en": "error: ", "zh": "错误："}


def lang_of(argv: Sequence[str]) -> str:
    """The language ``--lang`` names in `argv` (``en`` when absent or not one fundflow has)."""
    words = list(argv)
    for i, word in enumerate(words):
        value = None
        if word == "--lang" and i + 1 < len(words):
            value = words[i + 1]
        elif word.startswith("--lang="):
            value = word.partition("=")[2]
        if value in _PREFIX:
            return value
    return "en"


def _allowed_zh(allowed: str) -> str:
    text = allowed
    for pattern, replacement in _COMPILED:
        text = pattern.sub(replacement, text)
    return text


def _framed_zh(exc: BaseException | str) -> str:
    message = " ".join(str(exc).split())
    if not isinstance(exc, ConfigError):
        return _allowed_zh(message)
    allowed = " ".join(exc.allowed.split())
    if not message.endswith(f": {allowed}"):
        return message
    head = message[: -len(allowed) - 2]
    return f"{head}：{_allowed_zh(allowed)}"


def error_line(exc: BaseException | str, lang: str = "en") -> str:
    """The line printed for `exc` (an error, or its message): ``error: ...`` or ``错误：...``.

    Whitespace runs (line breaks in a message) become one space.
    """
    if lang == "zh":
        return _PREFIX["zh"] + _framed_zh(exc)
    return _PREFIX["en"] + " ".join(str(exc).split())
