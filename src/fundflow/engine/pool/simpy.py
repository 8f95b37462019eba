"""The pool book of the SimPy engine: the government's risk-compensation pool
(docs/model.md, "Risk-compensation pool").

:class:`PoolBook` owns the pool's balance. The government endows it with ``size``
at the start (``pool_endowment``) and, with ``top_up``, restores it to ``size`` at
each budget year's start (``pool_topup``); both are outside the annual budget. On a
default with loss ``L`` the credit book asks it first for its cover, ``c =
min(balance, share × L)``, paid to the bank, guarantor and re-guarantor by their
``risk_sharing`` shares normalised over the three; the rest ``L − c`` is shared as
without a pool (the guarantor and re-guarantor pay the bank their shares of it and
pass on what the pool paid them for the bank's loss), and the government's part of
it is paid from what is left in the pool, then by the government. What is left at
the horizon returns to the government (``pool_return``). It reaches the engine only
through the hooks (:class:`~fundflow.engine.hooks.EngineHooks`).
"""

from __future__ import annotations

from fundflow.engine.hooks import EngineHooks
from fundflow.engine.ledger import K, P
from fundflow.engine.pool import rules
from fundflow.engine.pool.weights import LENDERS, lender_weights
from fundflow.scenario.config import Credit

__all__ = ["PoolBook"]

GOV, POOL, BANK = P["government"], P["pool"], P["bank"]
ENDOW, TOPUP, PAYOUT = K["pool_endowment"], K["pool_topup"], K["pool_payout"]
RETURN, GUARANTEE = K["pool_return"], K["guarantee_payout"]
pool_cover = rules.pool_cover.py_func
lender_part = rules.lender_part.py_func


class PoolBook:
    """The risk-compensation pool of one replication.

    Parameters
    ----------
    hooks : EngineHooks
        The replication's engine.
    credit : Credit
        The scenario's credit terms, with a ``risk_pool``.
    """

    def __init__(self, hooks: EngineHooks, credit: Credit) -> None:
        assert credit.risk_pool is not None
        self.hooks = hooks
        self.size = float(credit.risk_pool.size)
        self.share = float(credit.risk_pool.share)
        self.top_up = credit.risk_pool.top_up
        self.weights = [lender_weights(credit)[x] for x in LENDERS]
        self.balance = 0.0

    def start(self) -> None:
        """The endowment at the start; the first top-up a year later."""
        self.hooks.pay(GOV, POOL, self.size, ENDOW, -1)
        self.balance = self.size
        if self.top_up:
            self.hooks.schedule(1.0, self._top_up)

    def _top_up(self) -> None:
        self.hooks.pay(GOV, POOL, self.size - self.balance, TOPUP, -1)
        self.balance = self.size
        self.hooks.schedule(1.0, self._top_up)

    def cover(self, r: int, loss: float) -> float:
        """Pay the lenders the pool's cover of route ``r``'s default loss; returns it."""
        c = pool_cover(self.balance, self.share, loss)
        self.balance -= c
        for lender, weight in zip(LENDERS, self.weights, strict=True):
            self.hooks.pay(POOL, P[lender], lender_part(weight, c), PAYOUT, r)
        return c

    def government_loss(self, r: int, amount: float) -> None:
        """The government's share of the rest of route ``r``'s loss: from the pool
        while money is left, then from the budget."""
        from_pool = pool_cover(self.balance, 1.0, amount)
        self.balance -= from_pool
        self.hooks.pay(POOL, BANK, from_pool, PAYOUT, r)
        self.hooks.pay(GOV, BANK, amount - from_pool, GUARANTEE, r)

    def settle_at_horizon(self) -> None:
        """What is left returns to the government."""
        self.hooks.pay(POOL, GOV, self.balance, RETURN, -1)
        self.balance = 0.0
