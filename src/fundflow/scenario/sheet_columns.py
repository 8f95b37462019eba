"""Column headers of a challenge list, for the layers above the scenario.

The public face of ``fundflow.scenario._sheet_columns`` (see its docstring): a
column of a challenge sheet is named by the challenge key it fills, a dotted path
(``race.keep``, ``phases[0].pass_probability``), in English or Chinese. ``KEYS``
holds every column a template shows, ``header_of(path, lang)`` its header,
``parse_header(header, where)`` the path of a header, ``last_key(path)`` the key a
path ends with. The challenge-list template (:mod:`fundflow.io.sheet_template`)
is written from them.
"""

from __future__ import annotations

from fundflow.scenario._sheet_columns import KEYS, header_of, last_key, parse_header

__all__ = ["KEYS", "header_of", "last_key", "parse_header"]
