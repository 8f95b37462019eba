"""The compiled engine's state: preallocated arrays, the event queue, the ledger.

One :class:`State` (a StructRef of arrays) is allocated per block and reset per
replication. Scalars live in two small arrays, ``sf`` (floats) and ``si``
(integers); per-route facts in ``rf`` and ``ri``. Each mechanism takes the slots it
owns from the allocators below when its module is imported (``ROUTE_FLOATS.take``
...), and its event kinds from :data:`EVENTS`: the state's shape is the sum of
what the mechanisms took (:func:`slot_sizes`, read once all are imported).

The event queue is a binary heap ordered by ``(time, priority, event id)``, SimPy's
order: ``push`` gives each event the next id, URGENT (0) for the start of a process
and NORMAL (1) for timeouts and triggered events.

Codes passed to compiled functions are np.int64, not int: numba types an int
constant as a literal and compiles its callee once per distinct value.
"""

from __future__ import annotations

from typing import cast

import numpy as np
from numba import njit
from numba.core import types
from numba.experimental import structref

from fundflow.engine._nb_borrow import borrow
from fundflow.engine.kernel_cache import CACHE
from fundflow.engine.ledger import K, P
from fundflow.engine.outcome import NOT_STARTED as _NOT_STARTED
from fundflow.engine.outcome import STATUS as STATUS_NAMES


def party_codes(*names: str) -> tuple[int, ...]:
    """The ledger codes of these parties, as the np.int64 constants compiled code takes."""
    return tuple(cast(int, np.int64(P[n])) for n in names)


def status_codes(*names: str) -> tuple[int, ...]:
    """The codes of these route statuses (:data:`~fundflow.engine.outcome.STATUS`)."""
    return tuple(cast(int, np.int64(STATUS_NAMES.index(n))) for n in names)


def kind_codes(*names: str) -> tuple[int, ...]:
    """The ledger codes of these kinds of payment, as np.int64 constants."""
    return tuple(cast(int, np.int64(K[n])) for n in names)


def ints(n: int) -> tuple[int, ...]:
    """``0 .. n - 1`` as np.int64 constants (typed ``int`` for readers and mypy)."""
    return tuple(cast(int, np.int64(i)) for i in range(n))


class Slots:
    """Names handed out in order: the columns of one of the state's arrays, or the
    codes of the event kinds. A mechanism takes its own when its module is imported."""

    def __init__(self, what: str) -> None:
        self.what = what
        self.names: list[str] = []

    def take(self, *names: str) -> tuple[int, ...]:
        """The next ``len(names)`` indices (np.int64), in order."""
        taken = [n for n in names if n in self.names]
        if taken:
            raise ValueError(f"{self.what}: {taken} taken twice")
        start = len(self.names)
        self.names.extend(names)
        return tuple(cast(int, np.int64(start + k)) for k in range(len(names)))


SCALAR_FLOATS, SCALAR_INTS = Slots("scalar floats"), Slots("scalar integers")
ROUTE_FLOATS, ROUTE_INTS = Slots("route floats"), Slots("route integers")
#: The event kinds, in code order; the dispatch is in fundflow.engine.compiled_engine.
EVENTS = Slots("event kinds")


def slot_sizes() -> np.ndarray:
    """How many scalar floats, scalar integers, route floats and route integers the
    mechanisms imported so far took (the shape :func:`new_state` allocates)."""
    return np.array(
        [len(s.names) for s in (SCALAR_FLOATS, SCALAR_INTS, ROUTE_FLOATS, ROUTE_INTS)],
        dtype=np.int64,
    )


# the core's slots: the clock, the event queue, the ledger, the route's life cycle
(NOW,) = SCALAR_FLOATS.take("now")
EID, HN, LN, OVF, HELD, BAD = SCALAR_INTS.take(
    "event_id", "heap_size", "ledger_rows", "overflow", "held", "bad"
)  # OVF: bits of CAP_*; HELD: the root event is being handled; BAD: an internal error
END_TIME, COST, DEMP = ROUTE_FLOATS.take("end_time", "cost_spent", "demander_paid")
STATUS, REVIEW, PHASE, Q, NPAY = ROUTE_INTS.take(
    "status", "end_review", "phase", "payment", "payments"
)
NOT_STARTED = cast(int, np.int64(_NOT_STARTED))

# capacities sized in advance (rows of the ledger, the heap, the government's
# payments due, the fund's capital calls): a replication that outgrows one sets its
# bit in ``si[OVF]``, stops, and is run again from its own draws with that capacity
# doubled (``compiled_engine.run_block_nb``)
CAP_LEDGER, CAP_HEAP, CAP_DUES, CAP_CALLS = ints(4)
N_CAP = 4
CAPACITY_NAMES = ("ledger", "heap", "dues", "calls")

URGENT, NORMAL = ints(2)
#: "no challenge or route" in a ledger row; the first phase or milestone
NONE, FIRST = cast(int, np.int64(-1)), cast(int, np.int64(0))

_PRIO = np.int64(1) << np.int64(52)

# ledger columns
L_TIME, L_PAYER, L_PAYEE, L_AMOUNT, L_KIND, L_CH, L_ROUTE = range(7)
# per-challenge integers (ci); cf holds what the cap leaves
VALUE_PAID, OUTSTANDING = 0, 1
# heap integers (hi): key (priority, event id), event type, argument
HK, HTY, HA = 0, 1, 2
# government payments due: floats (df), integers (di; D_QUEUE is the FIFO's slots)
D_REM, D_TIME = 0, 1
D_PAYEE, D_KIND, D_ROUTE, D_TRANCHE, D_QUEUE = range(5)
# replication draws, per route (x): scalars, then durations, then review uniforms
DR_OVERRUN, DR_MISC, DR_RACE, DR_SVALUE, DR_DEFAULT, DR_HOLD, DR_MULT = range(7)
DR_DURATION = 7


@structref.register
class _StateType(types.StructRef):
    def preprocess_fields(self, fields):  # type: ignore[no-untyped-def]
        return tuple((name, types.unliteral(typ)) for name, typ in fields)


class State(structref.StructRefProxy):
    """The replication's state: a numba StructRef, so every compiled function takes
    it as one pointer (a tuple of arrays would be copied and reference-counted array
    by array on every call, which made the engine five times slower).

    ``yr``/``yi`` are per budget year: columns ``0..R`` the solver's own funding
    change (and a flag), ``R..2R`` the demander's installments, ``2R..3R`` the match
    its recipient received, net of claw-backs (the tax's), ``3R`` the government's
    spending in the year (the budget's; the year's has-entries flag is the tax's),
    and in ``yr`` only, ``3R + 1`` the payments committed and unpaid at the year's
    end and ``3R + 2`` whether a payment due by then was waiting (the budget's).
    ``calls[0]``/``calls[1]`` are the fund's (time, amount) capital calls of the
    government and the social LPs, ``calls[2, :, 0]`` the values of exits left to the
    wind-up. ``x`` (R, 7 + 2P) and ``value`` (C,) are the replication's draws (views
    set before it runs): per route the ``DR_*`` scalars, the durations and the review
    uniforms, and per challenge the value on success.
    """

    sf: np.ndarray
    si: np.ndarray
    hf: np.ndarray
    hi: np.ndarray
    led: np.ndarray
    rf: np.ndarray
    ri: np.ndarray
    yr: np.ndarray
    yi: np.ndarray
    cf: np.ndarray
    ci: np.ndarray
    df: np.ndarray
    di: np.ndarray
    calls: np.ndarray
    x: np.ndarray
    value: np.ndarray


_STATE_FIELDS = ["sf", "si", "hf", "hi", "led", "rf", "ri", "yr", "yi", "cf", "ci", "df", "di"]
_STATE_FIELDS += ["calls", "x", "value"]
structref.define_proxy(State, _StateType, _STATE_FIELDS)


@njit(cache=CACHE)
def initial_capacities(n_routes: int, n_phases: int, fee_years: int) -> np.ndarray:
    """The capacities (``CAP_*`` order) a replication starts with: enough for the
    shipped programs, grown by ``run_block_nb`` when a replication needs more."""
    caps = np.empty(N_CAP, np.int64)
    caps[CAP_LEDGER] = 64 * n_routes + 64
    caps[CAP_HEAP] = n_routes * (n_phases + 12) + 16
    caps[CAP_DUES] = n_routes * (n_phases + 4) + 1
    caps[CAP_CALLS] = 2 * (n_routes + fee_years) + 2
    return caps


@njit(cache=CACHE)
def overflow(s: State, cap: int) -> None:
    """Capacity ``cap`` is too small for this replication: flag it (the event loop
    stops and the block loop runs the replication again with more room)."""
    s.si[OVF] |= np.int64(1) << np.int64(cap)


@njit(cache=CACHE)
def new_state(n_routes: int, n_ch: int, horizon: float, caps: np.ndarray, sizes: np.ndarray
              ) -> tuple[tuple, State]:  # fmt: skip
    """The owner (the state's arrays and a :class:`State` of borrowed views of them),
    to keep alive while the state is used, and the state borrowed from it
    (:mod:`fundflow.engine._nb_borrow`: no reference counting). ``caps`` are the
    capacities in ``CAP_*`` order, ``sizes`` the slots the mechanisms took
    (:func:`slot_sizes`)."""
    r = n_routes
    years = int(horizon) + 2
    heap, dues, n_calls = caps[CAP_HEAP], caps[CAP_DUES], caps[CAP_CALLS]
    n_sf, n_si, n_rf, n_ri = sizes[0], sizes[1], sizes[2], sizes[3]
    z = np.zeros
    owned = (
        z(n_sf), z(n_si, np.int64), z(heap), z((heap, 3), np.int64), z((caps[CAP_LEDGER], 7)),
        z((r, n_rf)), z((r, n_ri), np.int64), z((years, 3 * r + 3)),
        z((years, 3 * r + 1), np.int64), z(n_ch), z((n_ch, 2), np.int64),
        z((dues, 2)), z((dues, 5), np.int64), z((3, n_calls, 2)), z((1, 1)), z(1),
    )  # fmt: skip
    state = State(*borrow(owned))
    return (owned, state), borrow(state)


@njit(cache=CACHE)
def reset(s: State) -> None:
    """Zero every array (statuses to NOT_STARTED, end times to NaN)."""
    s.sf[:] = 0.0
    s.si[:] = 0
    s.rf[:] = 0.0
    s.ri[:] = 0
    s.yr[:] = 0.0
    s.yi[:] = 0
    s.ci[:] = 0
    s.ri[:, STATUS] = NOT_STARTED
    s.rf[:, END_TIME] = np.nan


# --- the event heap ----------------------------------------------------------------


@njit(cache=CACHE)
def push(s: State, delay: float, priority: int, kind: int, arg: int) -> None:
    """Schedule an event ``delay`` from now with the next event id.

    While the event at the root is being handled (``HELD``), the first new event
    takes its place and moves down (one sift instead of a pop and a push); otherwise
    the new event's slot moves up while its parent comes later. Either way a hole
    is sifted, and events leave the heap in the same order: keys are unique."""
    si, hf, hi = s.si, s.hf, s.hi
    si[EID] += 1
    t = s.sf[NOW] + delay
    key = priority * _PRIO + si[EID]
    n = si[HN]
    if si[HELD]:
        si[HELD] = 0
        _sift_down(hf, hi, n, t, key, kind, arg)
        return
    if n >= hf.shape[0]:
        overflow(s, CAP_HEAP)
        return
    si[HN] = n + 1
    while n > 0:
        parent = (n - 1) >> 1
        tp = hf[parent]
        if not (t < tp or (t == tp and key < hi[parent, HK])):
            break
        hf[n] = tp
        hi[n, HK], hi[n, HTY], hi[n, HA] = hi[parent, HK], hi[parent, HTY], hi[parent, HA]
        n = parent
    hf[n] = t
    hi[n, HK], hi[n, HTY], hi[n, HA] = key, kind, arg


@njit(cache=CACHE)
def hold(s: State) -> None:
    """Mark the root as the event being handled: the first :func:`push` replaces it,
    and :func:`release` removes it if nothing was pushed."""
    s.si[HELD] = 1


@njit(cache=CACHE)
def release(s: State) -> None:
    """The handled event leaves the heap, unless a :func:`push` replaced it."""
    if s.si[HELD]:
        s.si[HELD] = 0
        pop(s)


@njit(cache=CACHE)
def pop(s: State) -> None:
    """Remove the first event (read it at index 0 first): the last event fills the
    hole at the root, sifted down past earlier children."""
    si, hf, hi = s.si, s.hf, s.hi
    n = si[HN] - 1
    si[HN] = n
    if n > 0:
        _sift_down(hf, hi, n, hf[n], hi[n, HK], hi[n, HTY], hi[n, HA])


@njit(cache=CACHE)
def _sift_down(hf, hi, n, t, key, kind, arg) -> None:  # type: ignore[no-untyped-def]
    """Put the event ``(t, key, kind, arg)`` at the root of the heap's first ``n``
    slots, moving the hole down past children that come earlier."""
    i = 0
    while True:
        child = 2 * i + 1
        if child >= n:
            break
        tc, kc = hf[child], hi[child, HK]
        if child + 1 < n:
            t2, k2 = hf[child + 1], hi[child + 1, HK]
            if t2 < tc or (t2 == tc and k2 < kc):
                child, tc, kc = child + 1, t2, k2
        if not (tc < t or (tc == t and kc < key)):
            break
        hf[i] = tc
        hi[i, HK], hi[i, HTY], hi[i, HA] = kc, hi[child, HTY], hi[child, HA]
        i = child
    hf[i] = t
    hi[i, HK], hi[i, HTY], hi[i, HA] = key, kind, arg


# --- the ledger ----------------------------------------------------------------------


@njit(cache=CACHE)
def add(s: State, payer: int, payee: int, amount: float, kind: int, ch: int, r: int) -> None:
    """Record one payment now; zero amounts are not recorded."""
    if amount <= 0.0:
        if amount < 0.0:
            s.si[BAD] = 2
        return
    n = s.si[LN]
    s.si[LN] = n + 1
    if n >= s.led.shape[0]:
        overflow(s, CAP_LEDGER)
        return
    row = s.led[n]
    row[L_TIME] = s.sf[NOW]
    row[L_PAYER] = payer
    row[L_PAYEE] = payee
    row[L_AMOUNT] = amount
    row[L_KIND] = kind
    row[L_CH] = ch
    row[L_ROUTE] = r


@njit(cache=CACHE)
def entered(s: State, r: int) -> bool:
    """Whether route ``r``'s bidder entered: the last column of its draws (1.0 under
    fixed entry)."""
    return s.x[r, s.x.shape[1] - 1] > 0.5
