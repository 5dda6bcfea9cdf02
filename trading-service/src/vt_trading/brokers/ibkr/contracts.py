"""Traded-instrument symbols → IB contracts, resolved once through reqContractDetails and cached.

Symbols (the instrument map's *traded* side):
- ``AAPL`` or ``STK:AAPL`` or ``STK:AAPL:SMART:USD``: a US stock routed SMART in USD;
- ``STK:700:SEHK:HKD``: a Hong Kong stock (quantities in whole board lots);
- ``FUT:MCL:NYMEX``: the front future of MCL, rolled ``roll_days`` before its last trade date;
- ``FUT:MCL:NYMEX:202701``: that contract month.

The reverse map (conId → our symbol) lets positions and executions come back under the symbol
the deployment traded; a contract we never resolved (a trade typed into TWS) gets a canonical
symbol of its own."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

from ib_async import IB, Contract, ContractDetails, Future, Stock

from vt_trading.brokers.base import OrderRefused


@dataclass(frozen=True)
class ResolvedContract:
    symbol: str
    contract: Contract
    multiplier: Decimal
    expiry: date | None
    lot: Decimal = Decimal(1)  # size increment (SEHK board lot), from the contract details


def _today() -> date:
    return datetime.now(UTC).date()


def _expiry(text: str) -> date | None:
    if len(text) >= 8:
        return date(int(text[:4]), int(text[4:6]), int(text[6:8]))
    return None


def _lot(increment: float) -> Decimal:
    if not increment or increment <= 0 or increment > 1e300:
        return Decimal(1)
    lot = Decimal(repr(increment))
    return lot.quantize(Decimal(1)) if lot == lot.to_integral_value() else lot.normalize()


def _ltd(details: ContractDetails) -> str:
    return details.contract.lastTradeDateOrContractMonth if details.contract else ""


def canonical_symbol(contract: Contract) -> str:
    """Our symbol for a contract we did not resolve ourselves."""
    if contract.secType == "FUT":
        month = contract.lastTradeDateOrContractMonth[:6]
        return f"FUT:{contract.symbol}:{contract.exchange}:{month}"
    return contract.symbol


class ContractBook:
    """Resolves and caches contracts for one IB connection."""

    def __init__(self, ib: IB, *, roll_days: int = 5, today: Callable[[], date] = _today):
        self._ib = ib
        self._roll_days = roll_days
        self._today = today
        self._by_symbol: dict[str, ResolvedContract] = {}
        self._by_con_id: dict[int, ResolvedContract] = {}

    def cached(self, symbol: str) -> ResolvedContract | None:
        return self._by_symbol.get(symbol)

    def symbol_for(self, contract: Contract) -> str:
        hit = self._by_con_id.get(contract.conId)
        return hit.symbol if hit else canonical_symbol(contract)

    def multiplier_for(self, contract: Contract) -> Decimal:
        hit = self._by_con_id.get(contract.conId)
        if hit:
            return hit.multiplier
        return Decimal(contract.multiplier) if contract.multiplier else Decimal(1)

    async def resolve(self, symbol: str) -> ResolvedContract:
        hit = self._by_symbol.get(symbol)
        if hit is not None and (hit.expiry is None or not self._past_roll(hit.expiry)):
            return hit
        query, month = _query(symbol)
        details = await self._ib.reqContractDetailsAsync(query)
        if not details:
            raise OrderRefused(
                f"IBKR knows no contract for {symbol!r}: check the instrument map's traded "
                "symbol (e.g. AAPL, FUT:MCL:NYMEX)",
                code="200",
            )
        if query.secType == "FUT":
            candidates = sorted(
                (d for d in details if _expiry(_ltd(d))),
                key=lambda d: _ltd(d),
            )
            if month:
                candidates = [d for d in candidates if _ltd(d).startswith(month)]
            else:
                candidates = [d for d in candidates if not self._past_roll(_expiry(_ltd(d)))]
            if not candidates:
                raise OrderRefused(f"no tradable contract month for {symbol!r}", code="200")
            chosen = candidates[0]
        elif len(details) > 1:
            raise OrderRefused(
                f"{symbol!r} is ambiguous at IBKR ({len(details)} contracts): add the exchange "
                "and currency (STK:SYMBOL:SMART:USD)",
                code="200",
            )
        else:
            chosen = details[0]
        contract = chosen.contract
        assert contract is not None
        resolved = ResolvedContract(
            symbol=symbol,
            contract=contract,
            multiplier=Decimal(contract.multiplier) if contract.multiplier else Decimal(1),
            expiry=_expiry(contract.lastTradeDateOrContractMonth),
            lot=_lot(chosen.sizeIncrement),
        )
        self._by_symbol[symbol] = resolved
        self._by_con_id[contract.conId] = resolved
        return resolved

    def _past_roll(self, expiry: date | None) -> bool:
        return expiry is not None and expiry - timedelta(days=self._roll_days) <= self._today()


def _query(symbol: str) -> tuple[Contract, str]:
    parts = symbol.split(":")
    if parts[0] == "FUT":
        if len(parts) < 3:
            raise OrderRefused(f"a future needs FUT:SYMBOL:EXCHANGE, got {symbol!r}")
        month = parts[3] if len(parts) > 3 else ""
        return Future(parts[1], exchange=parts[2], currency="USD"), month
    if parts[0] == "STK":
        parts = parts[1:]
    exchange = parts[1] if len(parts) > 1 else "SMART"
    currency = parts[2] if len(parts) > 2 else "USD"
    return Stock(parts[0], exchange, currency), ""
