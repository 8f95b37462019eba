"""Every random input of a replication, drawn up front and keyed by identity.

A random number is a pure function of (root entropy, replication, stream, identity,
index), computed by the counter-based generator Philox4x64-10 (Salmon et al. 2011,
the function inside ``numpy.random.Philox``; see :mod:`fundflow.engine._philox`) for a whole
block of replications at once. So any replication can be drawn alone, the result
does not depend on workers or chunking, and a route's numbers do not depend on
the other challenges: adding, removing or reordering challenges, or changing one
challenge's ``solvers`` or ``count``, leaves every other route's draws unchanged
(common random numbers under a change of structure).

Identities
----------
* a route: (challenge name, copy ``0 .. count - 1``, route ``0 .. solvers - 1``
  within the challenge copy, phase for the per-phase streams);
* a challenge's value: (challenge name, copy);
* a group's common factor: (group name, phase); a challenge without a ``group``
  has its own factor, keyed by (challenge name, copy, phase).

A name enters as a 64-bit hash: the first 8 bytes of BLAKE2b of its UTF-8 bytes,
personalised ``fundflow:chal`` for challenge names and ``fundflow:group`` for
group names (read little-endian). **Renaming a challenge or a group changes its
draws**; reordering the list, or editing another entry, does not. Two challenges
with the same name would share their draws; scenario validation forbids it.

Counter layout
--------------
Key: the two words of ``SeedSequence(entropy).generate_state(2, np.uint64)``.
Stream ``k`` (its position in :data:`STREAMS`) takes output word ``k % 4`` of the
Philox block of the counter

====  ====================================================================
word  value
====  ====================================================================
0     replication
1     ``k // 4`` (so four streams share one block; the per-phase streams of an
      extension, quad 3, only for scenarios with one)
2     hash of the challenge name, or of the group name for a group factor
3     ``copy << 32 | route << 16 | phase`` (fields not in the identity are 0)
====  ====================================================================

and the 64-bit output ``x`` becomes the uniform ``max((x >> 11) 2^-53, 2^-60)`` in
(0, 1). The layout is pinned by a test. :data:`STREAMS` is append-only: a new
stream takes the next output word and never disturbs the others. A challenge's
value and its ungrouped factor have the counter of its route 0 (word 3 without
the route), in output words that no route stream uses.

Normals are ``ndtri(u)`` (inverse CDF) and uniforms are mapped to values by
``Dist.ppf``, so a parameter change moves every replication's value
monotonically. Review outcomes use the one-factor Gaussian copula:
``u = Phi(sqrt(rho) F + sqrt(1 - rho) eps)``; a route passes review ``j`` when
``u < pass_probability_j``; with ``rho = 0`` the route's own uniform is used as is.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache

import numpy as np
from scipy.special import ndtr, ndtri

from fundflow.engine._philox import philox_uniforms
from fundflow.engine.layout import Layout
from fundflow.errors import ConfigError
from fundflow.scenario.config import Scenario

__all__ = ["STREAMS", "Draws", "draw", "identity_hash", "philox_key"]

#: Named random streams, append only.
STREAMS: tuple[str, ...] = (
    "duration",  # (R, P) uniforms -> phase durations
    "review",  # (R, P) the route's own review shock (a uniform, normal by ndtri)
    "factor",  # (G, P) each group's common factor per phase
    "overrun",  # (R,) uniforms -> cost overrun factor
    "misconduct",  # (R,) uniforms: failure is misconduct when u < probability
    "race",  # (R,) uniforms: priority when a race keeps some of its passers
    "value",  # (C,) uniforms -> demander's value on success
    "holding_period",  # (R,) uniforms -> fund holding period of the route's venture
    "exit_multiple",  # (R,) uniforms -> fund exit multiple of the route's venture
    "default",  # (R,) uniforms: loan default when u < probability
    "solver_value",  # (R,) uniforms -> solver's value on success
    "ip_value",  # (R,) uniforms -> value of the IP pledged for the route's loan
    "extension",  # (R, P) uniforms: a failed review is extended when u < probability
    "extension_duration",  # (R, P) uniforms -> the extension's duration
    "review_again",  # (R, P) the route's own shock of the review after an extension
    "reservation",  # (bidders,) per challenge copy: a potential bidder's reservation NPV
)
_K = {name: k for k, name in enumerate(STREAMS)}
_TINY = 2.0**-60
_COPY_SHIFT, _ROUTE_SHIFT = np.uint64(32), np.uint64(16)
_MAX_FIELD = 1 << 16  # routes per challenge and phases: 16 bits each in word 3


@lru_cache(maxsize=4096)
def identity_hash(name: str, kind: str = "chal") -> int:
    """The 64-bit hash of a challenge (``kind="chal"``) or group (``"group"``) name."""
    if kind not in ("chal", "group"):
        raise ValueError(f"kind must be 'chal' or 'group', got {kind!r}")
    h = hashlib.blake2b(name.encode("utf-8"), digest_size=8, person=f"fundflow:{kind}".encode())
    return int.from_bytes(h.digest(), "little")


def philox_key(entropy: int) -> tuple[int, int]:
    """The Philox key of a root entropy."""
    k = np.random.SeedSequence(entropy).generate_state(2, np.uint64)
    return int(k[0]), int(k[1])


@dataclass(frozen=True, eq=False)
class Draws:
    """Random inputs of a block of replications; leading axis = replication.

    Attributes
    ----------
    replications : (n,) int
    duration : (n, R, P) float
        Phase durations in years (NaN beyond a route's phases).
    review_u : (n, R, P) float
        Copula uniforms of the reviews (NaN beyond a route's phases).
    overrun : (n, R) float
    misconduct_u, race_u, default_u : (n, R) float
    value : (n, C) float
    holding_period, exit_multiple : (n, R) float
    solver_value_u : (n, R) float
        Uniforms of the solver's value on success.
    solver_value : (n, R) float
        The solver's value if the route succeeds (``solver_value_on_success``).
    ip_value : (n, R) float
        The pledged IP's value as a multiple of the principal (``credit.ip_value``;
        0 without an IP-pledge loan).
    extension_u, extension_duration, review_again_u : (n, R, P) float
        Per route and phase: the uniform that decides an extension of a failed review
        (1 where the phase has none), its duration, and the copula uniform of the
        review after it (the group's factor of that phase; NaN without an extension).
    entered : (n, R) bool or None
        Whether the route starts (``solver.entry: equilibrium``, set by
        :func:`fundflow.engine.entry.admission.with_entry`); ``None``: every route.
    """

    replications: np.ndarray
    duration: np.ndarray
    review_u: np.ndarray
    overrun: np.ndarray
    misconduct_u: np.ndarray
    race_u: np.ndarray
    value: np.ndarray
    holding_period: np.ndarray
    exit_multiple: np.ndarray
    default_u: np.ndarray
    solver_value_u: np.ndarray
    solver_value: np.ndarray
    ip_value: np.ndarray
    extension_u: np.ndarray
    extension_duration: np.ndarray
    review_again_u: np.ndarray
    entered: np.ndarray | None = None

    def __len__(self) -> int:
        return int(self.replications.shape[0])


@dataclass(frozen=True, eq=False)
class _Blocks:
    """The Philox blocks a layout needs (counter words 1-3) and where streams read.

    ``words[:, b]`` is block ``b``; ``phase_block`` (R, P), ``route_block`` (3, R)
    per quad, ``value_block`` (C,), ``group_block`` (G, P) and ``ext_block`` (R, P;
    quad 3, the extension's streams, None without an extension) index blocks;
    ``phase_ok`` (R, P) marks the phases a route has.
    """

    words: np.ndarray
    phase_block: np.ndarray
    phase_ok: np.ndarray
    route_block: np.ndarray
    value_block: np.ndarray
    group_block: np.ndarray
    ext_block: np.ndarray | None

    @classmethod
    def of(cls, scenario: Scenario, layout: Layout) -> _Blocks:
        specs = scenario.challenges
        r, p = layout.n_routes, layout.max_phases
        cs = layout.challenge_spec
        copy = np.arange(layout.n_challenges) - np.searchsorted(cs, cs, side="left")
        for i, ch in enumerate(specs):
            if ch.solvers >= _MAX_FIELD or ch.n_phases >= _MAX_FIELD:
                field, value = (
                    ("solvers", ch.solvers) if ch.solvers >= _MAX_FIELD else ("phases", ch.n_phases)
                )
                raise ConfigError(f"challenges[{i}].{field}", value, f"at most {_MAX_FIELD - 1}")
        spec_hash = np.array([identity_hash(ch.name) for ch in specs], dtype=np.uint64)
        ch_word = copy.astype(np.uint64) << _COPY_SHIFT  # (C,)
        route_in = np.arange(r) - layout.first_route[layout.route_challenge]
        r_hash = spec_hash[layout.route_spec]
        r_word = ch_word[layout.route_challenge] | (route_in.astype(np.uint64) << _ROUTE_SHIFT)
        n_ph = np.array([ch.n_phases for ch in specs])[layout.route_spec]
        phase_ok = np.arange(p)[None, :] < n_ph[:, None]
        ri, pi = np.nonzero(phase_ok)
        parts = [  # (quad, hash, word 3) of each block
            (np.zeros(len(ri)), r_hash[ri], r_word[ri] | pi.astype(np.uint64)),
            (np.ones(r), r_hash, r_word),
            (np.full(r, 2), r_hash, r_word),
        ]
        phase_block = np.zeros((r, p), dtype=np.int64)
        phase_block[ri, pi] = np.arange(len(ri))
        start = len(ri)
        route_block = np.stack(  # quad 0 reads the route's phase-0 block
            [phase_block[:, 0], start + np.arange(r), start + r + np.arange(r)]
        )
        value_block = route_block[1][layout.first_route]
        group_block, named = cls._group_blocks(scenario, layout, phase_block, start + 2 * r)
        parts.append(named)
        ext_block = None
        if any(ph.extension is not None for ch in specs for ph in ch.phases):
            ext_block = np.zeros((r, p), dtype=np.int64)
            ext_block[ri, pi] = start + 2 * r + len(named[0]) + np.arange(len(ri))
            parts.append((np.full(len(ri), 3), r_hash[ri], r_word[ri] | pi.astype(np.uint64)))
        words = np.stack(
            [np.concatenate([np.asarray(x[w], np.uint64) for x in parts]) for w in range(3)]
        )
        return cls(words, phase_block, phase_ok, route_block, value_block, group_block, ext_block)

    @staticmethod
    def _group_blocks(
        scenario: Scenario, layout: Layout, phase_block: np.ndarray, start: int
    ) -> tuple[np.ndarray, tuple[np.ndarray, np.ndarray, np.ndarray]]:
        """(G, P) block of each group factor, and the new blocks of the named groups.

        A named group's factor has blocks of its own, numbered from ``start``; an
        ungrouped challenge's factor has the counter of its route 0, so it reads
        that route's blocks (phases the challenge lacks are never read).
        """
        n_groups, p = len(layout.group_rho), layout.max_phases
        first = np.full(n_groups, -1)
        for c in range(layout.n_challenges - 1, -1, -1):
            first[layout.challenge_group[c]] = c
        group_block = np.zeros((n_groups, p), dtype=np.int64)
        hashes: list[int] = []
        for g, c in enumerate(first):
            name = scenario.challenges[layout.challenge_spec[c]].group
            if name:
                group_block[g] = start + len(hashes) * p + np.arange(p)
                hashes.append(identity_hash(name, "group"))
            else:
                group_block[g] = phase_block[layout.first_route[c]]
        h = np.repeat(np.array(hashes, dtype=np.uint64), p)
        phase = np.tile(np.arange(p, dtype=np.uint64), len(hashes))
        return group_block, (np.zeros(h.size), h, phase)


def _raw(key: tuple[int, int], reps: np.ndarray, words: np.ndarray) -> np.ndarray:
    """(4, n, B) float64: the uniforms of every block's output words in every replication."""
    return philox_uniforms(key, reps, words, _TINY)


def _stream(raw: np.ndarray, name: str, blocks: np.ndarray) -> np.ndarray:
    """Uniforms of stream ``name`` from the blocks ``blocks`` (any shape): (n, *shape)."""
    return raw[_K[name] % 4][:, blocks]


def draw(scenario: Scenario, layout: Layout, entropy: int, replications: Sequence[int]) -> Draws:
    """Draw every random input of the given replications.

    Parameters
    ----------
    scenario : Scenario
    layout : Layout
        ``Layout.of(scenario)``.
    entropy : int
        Root entropy: the Philox key is derived from it.
    replications : sequence of int
        Replication indices; the result for an index does not depend on the others.
    """
    reps = np.asarray(list(replications), dtype=np.int64)
    bl = _Blocks.of(scenario, layout)
    u = _raw(philox_key(int(entropy)), reps, bl.words)
    n, r = len(reps), layout.n_routes
    route_u = {
        name: _stream(u, name, bl.route_block[_K[name] // 4])
        for name in STREAMS[:12]
        if name not in ("duration", "review", "factor", "value")
    }
    review_u = _review(
        layout,
        _stream(u, "review", bl.phase_block),
        _stream(u, "factor", bl.group_block),
        bl.phase_ok,
    )
    review_u[:, ~bl.phase_ok] = np.nan
    duration, overrun, value, solver_value = _values(
        scenario,
        layout,
        _stream(u, "duration", bl.phase_block),
        route_u["overrun"],
        _stream(u, "value", bl.value_block),
        route_u["solver_value"],
    )
    holding = np.zeros((n, r))
    multiple = np.zeros((n, r))
    fund = scenario.guided_fund
    if fund is not None:
        holding = fund.holding_period.ppf(route_u["holding_period"])
        multiple = fund.exit_multiple.ppf(route_u["exit_multiple"])
    return Draws(
        replications=reps,
        duration=duration,
        review_u=review_u,
        overrun=overrun,
        misconduct_u=route_u["misconduct"],
        race_u=route_u["race"],
        value=value,
        holding_period=holding,
        exit_multiple=multiple,
        default_u=route_u["default"],
        solver_value_u=route_u["solver_value"],
        solver_value=solver_value,
        ip_value=_ip_values(scenario, route_u["ip_value"]),
        **_extension_draws(scenario, layout, u, bl),
    )


def _ip_values(scenario: Scenario, u_ip: np.ndarray) -> np.ndarray:
    """The pledged IP's value per route, a multiple of the principal (0 without)."""
    credit = scenario.credit
    if credit is None or credit.kind != "ip_pledge" or credit.ip_value is None:
        return np.zeros_like(u_ip)
    return np.asarray(credit.ip_value.ppf(u_ip), dtype=np.float64)


def _extension_draws(
    scenario: Scenario, layout: Layout, u: np.ndarray, bl: _Blocks
) -> dict[str, np.ndarray]:
    """The extension's draws per route and phase: the uniform that decides it (1
    where the phase has none), its duration (0) and the copula uniform of the review
    after it (NaN), from the streams of quad 3 and the group's factor of the phase."""
    n, r, p = u.shape[1], layout.n_routes, layout.max_phases
    ext_u, duration = np.ones((n, r, p)), np.zeros((n, r, p))
    again = np.full((n, r, p), np.nan)
    if bl.ext_block is None:
        return {"extension_u": ext_u, "extension_duration": duration, "review_again_u": again}
    u_ext = _stream(u, "extension", bl.ext_block)
    u_dur = _stream(u, "extension_duration", bl.ext_block)
    again = _review(
        layout,
        _stream(u, "review_again", bl.ext_block),
        _stream(u, "factor", bl.group_block),
        bl.phase_ok,
    )
    has = np.zeros((r, p), dtype=bool)
    for spec_idx, spec in enumerate(scenario.challenges):
        routes = layout.route_spec == spec_idx
        for j, phase in enumerate(spec.phases):
            if phase.extension is not None:
                has[routes, j] = True
                ext_u[:, routes, j] = u_ext[:, routes, j]
                duration[:, routes, j] = phase.extension.duration.ppf(u_dur[:, routes, j])
    again[:, ~has] = np.nan
    return {"extension_u": ext_u, "extension_duration": duration, "review_again_u": again}


def _values(
    scenario: Scenario,
    layout: Layout,
    u_dur: np.ndarray,
    u_overrun: np.ndarray,
    u_value: np.ndarray,
    u_solver_value: np.ndarray,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Durations (NaN beyond a route's phases), overruns and values by inverse CDF."""
    n = u_dur.shape[0]
    duration = np.full((n, layout.n_routes, layout.max_phases), np.nan)
    overrun = np.empty((n, layout.n_routes))
    value = np.empty((n, layout.n_challenges))
    solver_value = np.empty((n, layout.n_routes))
    for spec_idx, spec in enumerate(scenario.challenges):
        routes = layout.route_spec == spec_idx
        for j, phase in enumerate(spec.phases):
            duration[:, routes, j] = phase.duration.ppf(u_dur[:, routes, j])
        overrun[:, routes] = spec.overrun.ppf(u_overrun[:, routes])
        solver_value[:, routes] = spec.solver_value_on_success.ppf(u_solver_value[:, routes])
        chs = layout.challenge_spec == spec_idx
        value[:, chs] = spec.value_on_success.ppf(u_value[:, chs])
    return duration, overrun, value, solver_value


def _review(
    layout: Layout, u_eps: np.ndarray, u_factor: np.ndarray, phase_ok: np.ndarray
) -> np.ndarray:
    """Copula uniforms (n, R, P) from the routes' own and the groups' uniforms.

    ``u_eps`` is overwritten; routes with ``rho = 0`` keep their own uniform. Only
    the phases a route has (``phase_ok``) are computed, each group's normal once.
    """
    group = layout.challenge_group[layout.route_challenge]  # (R,)
    rho = layout.group_rho[group]
    ri, pi = np.nonzero(phase_ok & (rho > 0)[:, None])
    if ri.size:
        a = np.sqrt(rho[ri])
        b = np.sqrt(1.0 - rho[ri])
        mixed = a * ndtri(u_factor)[:, group[ri], pi]
        mixed += b * ndtri(u_eps[:, ri, pi])
        u_eps[:, ri, pi] = ndtr(mixed, out=mixed)
    return u_eps
