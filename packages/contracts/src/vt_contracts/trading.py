"""Trading contracts: broker accounts, deployments, targets, orders, fills, positions, risk.

The public shapes of the trading service (``trading-service``, ``vt_trading``) as the gateway
serves them under ``/api/v1``. Money and quantities in orders and fills are ``Decimal`` (exact,
serialised as strings); curves are floats. Every timestamp is UTC-aware.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Annotated, Any, Literal

from pydantic import AwareDatetime, Field, PlainSerializer, model_validator

from vt_contracts._base import Contract


def _plain_decimal(value: Decimal) -> str:
    """'0', '12.5', '100' - never '0E-10' or '1E+2' (the database keeps 10 decimal places)."""
    if not value.is_finite():
        return str(value)
    if value.is_zero():
        return "0"
    text = format(value, "f")
    return text.rstrip("0").rstrip(".") if "." in text else text


Dec = Annotated[Decimal, PlainSerializer(_plain_decimal, return_type=str, when_used="json")]
"""An exact decimal, serialised as a plain string without exponent or trailing zeros."""

Environment = Literal["paper", "live"]
"""Paper and live never mix: separate schema, logs, connections and process per environment."""

VENUE_PATTERN = r"^(paper|ibkr|ccxt:[a-z0-9_]{2,30})$"

DeploymentStatus = Literal["pending", "running", "paused", "stopped", "expired", "failed"]
RiskStateName = Literal["active", "reducing", "halted", "killed", "paused"]
ReviewMode = Literal["auto", "manual"]
TargetReview = Literal["proposed", "approved", "applied", "rejected", "superseded"]
OrderState = Literal[
    "new",
    "submitting",
    "accepted",
    "partially_filled",
    "filled",
    "cancel_pending",
    "cancelled",
    "rejected",
    "expired",
    "unknown",
]
OrderType = Literal["market", "limit", "stop", "trailing_stop"]
Side = Literal["buy", "sell"]
RiskDecisionKind = Literal["allow", "clip", "deny"]
ExceptionSeverity = Literal["info", "warning", "critical"]
ExceptionStatus = Literal["open", "acknowledged", "resolved"]
ReconcileClass = Literal[
    "matched",
    "missing_fill_ours",
    "missing_fill_unattributed",
    "orphan_order",
    "unknown_order",
    "position_break",
    "ambiguous",
]


class RiskLimits(Contract):
    """Per-account risk limits and circuit-breaker thresholds (percent of account equity)."""

    max_position_pct: float = Field(
        default=5.0, gt=0, le=1000, description="Largest position value, % of account equity."
    )
    max_gross_exposure_pct: float = Field(
        default=30.0, gt=0, le=1000, description="Sum of |position values|, % of account equity."
    )
    daily_loss_limit_pct: float = Field(
        default=2.0,
        gt=0,
        le=100,
        description="No new risk once today's loss reaches this % of start-of-day equity.",
    )
    max_order_notional: Dec | None = Field(
        default=None,
        gt=0,
        description="Largest single order value, account currency (none: no cap).",
    )
    max_orders_per_minute: int = Field(default=60, ge=1, le=10_000)
    price_band_pct: float = Field(
        default=10.0,
        gt=0,
        le=100,
        description="A limit/stop price further than this % from the last price is refused.",
    )
    daily_halt_pct: float = Field(
        default=3.0,
        gt=0,
        le=100,
        description="Daily loss that halts the account until the next session.",
    )
    weekly_halt_pct: float = Field(
        default=7.0,
        gt=0,
        le=100,
        description="Weekly loss that halts the account until a person clears it.",
    )
    drawdown_kill_pct: float = Field(
        default=15.0,
        gt=0,
        le=100,
        description="Drawdown from the equity peak that kills the account (cancel all, flatten).",
    )
    max_consecutive_losses: int = Field(
        default=5, ge=1, le=1000, description="Losing round trips in a row that pause a deployment."
    )
    reconcile_tolerance: Dec = Field(
        default=Decimal("0"),
        ge=0,
        description="Quantity difference tolerated before a position break.",
    )

    @classmethod
    def non_binding(cls) -> RiskLimits:
        """The parity preset: limits and breakers set so wide that none binds, so a paper replay
        equals the backtest exactly (a binding limit is the one designed divergence). For
        comparing paper with the backtest, never for trading money."""
        return cls(
            max_position_pct=1000,
            max_gross_exposure_pct=1000,
            daily_loss_limit_pct=100,
            max_orders_per_minute=10_000,
            price_band_pct=100,
            daily_halt_pct=100,
            weekly_halt_pct=100,
            drawdown_kill_pct=100,
            max_consecutive_losses=1000,
        )


class BrokerAccountCreate(Contract):
    """A broker account of the user's. `paper` needs no credentials."""

    name: str = Field(min_length=1, max_length=80)
    venue: str = Field(default="paper", pattern=VENUE_PATTERN)
    environment: Environment = "paper"
    base_currency: str = Field(default="USD", pattern=r"^[A-Z]{3,5}$")
    starting_cash: Dec = Field(
        default=Decimal("1000000"), gt=0, le=Decimal("1e12"), description="Paper venue only."
    )
    credentials: dict[str, str] | None = Field(
        default=None,
        description="Venue credentials; stored encrypted, never returned or logged. "
        "ccxt:<exchange>: {api_key, secret[, password]}; ccxt:okx needs password (the API "
        "key's passphrase).",
    )
    risk_limits: RiskLimits = Field(default_factory=RiskLimits)


class BrokerAccount(Contract):
    id: str
    name: str
    venue: str
    environment: Environment
    base_currency: str
    has_credentials: bool
    risk_limits: RiskLimits
    created_at: AwareDatetime


class InstrumentMapping(Contract):
    """How a signal instrument is traded: the traded instrument and its contract terms."""

    signal_symbol: str = Field(min_length=1, max_length=64)
    traded_symbol: str = Field(min_length=1, max_length=64)
    multiplier: Dec = Field(default=Decimal("1"), gt=0, description="Contract multiplier.")
    tick_size: Dec = Field(default=Decimal("0.01"), gt=0)
    lot_size: Dec = Field(default=Decimal("1"), gt=0, description="Quantity step.")
    currency: str = Field(default="USD", pattern=r"^[A-Z]{3,5}$")
    inverse: bool = Field(
        default=False,
        description="Inverse contract: P&L in the base coin (qty x (1/entry - 1/exit)).",
    )


class ReplayConfig(Contract):
    """Offline replay: step a deployment through historical bars at a chosen speed."""

    start: date
    end: date
    bars_per_second: float = Field(
        default=20.0, gt=0, le=10_000, description="Replay speed; the result does not depend on it."
    )

    @model_validator(mode="after")
    def _order(self) -> ReplayConfig:
        if self.start >= self.end:
            raise ValueError(f"replay start ({self.start}) must be before its end ({self.end})")
        return self


class DeploymentCreate(Contract):
    """Deploy a saved strategy version, qualified by a backtest run, to a broker account."""

    strategy_id: str = Field(min_length=1, max_length=64)
    version: int | None = Field(
        default=None, ge=1, description="Strategy version; latest if omitted."
    )
    backtest_id: str = Field(
        min_length=1, max_length=64, description="The succeeded backtest run that qualifies it."
    )
    mode: Environment = "paper"
    broker: str = Field(default="paper", pattern=VENUE_PATTERN)
    account_id: str | None = Field(
        default=None,
        description="Broker account; the user's default account for `broker` if omitted.",
    )
    capital: Dec = Field(
        gt=0, le=Decimal("1e12"), description="Capital allocated, account currency."
    )
    dry_run: bool = Field(
        default=False, description="Everything but the final submission; logs what would be sent."
    )
    acknowledge_failed_gates: bool = Field(
        default=False,
        description="Paper only: deploy although gates fail (recorded). Live always needs passing gates.",
    )
    gate_profile: Literal["strict", "relaxed"] = "strict"
    review_mode: ReviewMode | None = Field(
        default=None,
        description="auto (paper default) or manual approval of targets (live default).",
    )
    expires_after_days: int | None = Field(
        default=None, ge=1, le=3650, description="Expires if not triggered in N days."
    )
    instrument_map: list[InstrumentMapping] = Field(default_factory=list, max_length=50)
    replay: ReplayConfig | None = None


class GateEvaluation(Contract):
    """Server-side evaluation of the promotion gates for a deployment."""

    profile: str
    passed: bool
    failing: list[str]
    acknowledged: bool = False


class ReplayState(Contract):
    start: date
    end: date
    bars_per_second: float
    cursor: AwareDatetime | None = Field(description="Last bar processed.")
    bars_done: int
    bars_total: int
    finished: bool
    label: Literal["replay"] = "replay"


class Deployment(Contract):
    id: str
    strategy_id: str
    version: int
    spec_hash: str
    backtest_id: str
    account_id: str
    environment: Environment
    venue: str
    status: DeploymentStatus
    risk_state: RiskStateName
    capital: Dec
    dry_run: bool
    review_mode: ReviewMode
    timeframe: str
    symbols: list[str]
    gates: GateEvaluation
    replay: ReplayState | None = None
    expires_at: AwareDatetime | None = None
    last_bar_at: AwareDatetime | None = None
    created_at: AwareDatetime
    updated_at: AwareDatetime


class TargetLine(Contract):
    symbol: str = Field(description="Traded instrument.")
    signal_symbol: str
    target_qty: Dec
    reference_price: Dec
    reason: str


class TargetSnapshot(Contract):
    """Immutable: what the strategy wants to hold after a bar, and why."""

    id: str
    deployment_id: str
    bar_at: AwareDatetime = Field(description="The closed bar the decision used.")
    review: TargetReview
    lines: list[TargetLine]
    signal: dict[str, str] = Field(description="Per signal symbol: entry / exit / hold / ...")
    created_at: AwareDatetime


class Order(Contract):
    id: str
    deployment_id: str | None
    client_order_id: str
    symbol: str
    side: Side
    type: OrderType
    qty: Dec
    filled_qty: Dec
    avg_fill_price: Dec | None
    limit_price: Dec | None = None
    stop_price: Dec | None = None
    state: OrderState
    reduce_only: bool = False
    dry_run: bool = False
    reason: str
    risk_decision: RiskDecisionKind
    created_at: AwareDatetime
    updated_at: AwareDatetime


class Fill(Contract):
    id: str
    ts: AwareDatetime
    symbol: str
    side: Side
    qty: Dec
    price: Dec
    fees: Dec
    order_id: str
    client_order_id: str
    execution_id: str


class Position(Contract):
    account_id: str
    deployment_id: str | None = Field(description="Null: the unattributed bucket.")
    symbol: str
    qty: Dec
    avg_price: Dec
    multiplier: Dec
    last_price: Dec | None
    market_value: Dec | None
    unrealized_pnl: Dec | None
    realized_pnl: Dec
    attributed: bool


class PnLPoint(Contract):
    ts: AwareDatetime
    equity: float
    realized_pnl: float
    unrealized_pnl: float
    fees: float


class PnL(Contract):
    deployment_id: str
    capital: Dec
    equity: Dec
    realized_pnl: Dec
    unrealized_pnl: Dec
    fees: Dec
    total_return_pct: float
    curve: list[PnLPoint]


class Breaker(Contract):
    name: str
    threshold_pct: float
    value_pct: float | None
    tripped: bool


OverrideMode = Literal["no_trading", "close_only", "reduce_only"]
"""no_trading: nothing may be sent (not even a reducing order); close_only / reduce_only: only
orders that reduce a position pass (the gate treats both the same: no new risk)."""
OverrideLevel = Literal["account", "deployment", "instrument"]
TradedSymbol = Annotated[
    str, Field(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9^][A-Za-z0-9.^/:=_-]*$")
]


class RiskOverride(Contract):
    """A person's restriction on new risk, as the pre-order risk gate applies it."""

    level: OverrideLevel
    target: str | None = Field(
        description="The deployment id (deployment level) or traded symbol (instrument level); "
        "null at account level."
    )
    mode: OverrideMode
    reason: str = Field(description="Why it was set (audited).")
    set_by: str = Field(description="The user who set it.")
    set_at: AwareDatetime


class RiskOverrides(Contract):
    """Overrides and instrument allow-list of one account: what the risk gate checks right
    after the kill switch and risk state (TRADING.md, Risk)."""

    account_id: str
    account: OverrideMode | None = Field(
        default=None, description="The account-level override (null: none)."
    )
    instruments: dict[str, OverrideMode] = Field(
        default_factory=dict, description="Per traded symbol."
    )
    deployments: dict[str, OverrideMode] = Field(
        default_factory=dict,
        description="Per deployment id (set with PUT /deployments/{id}/overrides).",
    )
    allow_list: list[str] | None = Field(
        default=None,
        description="Traded symbols that may take new risk; null: every instrument is allowed.",
    )
    items: list[RiskOverride] = Field(
        default_factory=list, description="Every override in force, with who set it and why."
    )


class RiskOverridesUpdate(Contract):
    """Replace the account-level override, the per-instrument overrides and the allow-list
    (what you leave out is cleared). Deployment-level overrides keep their own route."""

    account: OverrideMode | None = Field(
        default=None, description="Account-level override; null clears it."
    )
    instruments: dict[TradedSymbol, OverrideMode] = Field(
        default_factory=dict, max_length=500, description="Overrides per traded symbol."
    )
    allow_list: list[TradedSymbol] | None = Field(
        default=None,
        max_length=1000,
        description="Only these traded symbols may take new risk; null allows every instrument, "
        "[] allows none (reducing orders always pass).",
    )
    reason: str = Field(min_length=3, max_length=500, description="Why (audited).")


class DeploymentOverride(Contract):
    """The override of one deployment (null mode: none)."""

    deployment_id: str
    account_id: str
    mode: OverrideMode | None
    reason: str | None = None
    set_by: str | None = None
    set_at: AwareDatetime | None = None


class DeploymentOverrideUpdate(Contract):
    """Set (or with ``mode: null`` clear) the override of one deployment."""

    mode: OverrideMode | None = Field(description="null clears the deployment's override.")
    reason: str = Field(min_length=3, max_length=500, description="Why (audited).")


class RiskState(Contract):
    account_id: str
    environment: Environment
    state: RiskStateName
    reason: str | None
    equity: Dec
    peak_equity: Dec
    day_start_equity: Dec
    week_start_equity: Dec
    breakers: list[Breaker]
    killed_at: AwareDatetime | None = None
    flatten_latched: bool = False
    limits: RiskLimits
    overrides: RiskOverrides | None = Field(
        default=None, description="Overrides and allow-list the risk gate applies."
    )


class TradingException(Contract):
    id: str
    account_id: str
    deployment_id: str | None
    kind: str
    severity: ExceptionSeverity
    status: ExceptionStatus
    detail: str
    data: dict[str, str | float | int | bool | None] = Field(default_factory=dict)
    created_at: AwareDatetime
    resolved_at: AwareDatetime | None = None


class ReconcileItem(Contract):
    kind: ReconcileClass
    symbol: str | None
    detail: str
    client_order_id: str | None = Field(default=None, description="The order concerned, if any.")
    execution_id: str | None = Field(
        default=None, description="The broker execution concerned, if any."
    )
    qty: Dec | None = Field(
        default=None,
        description="Signed quantity: the missing fill's, or the break (broker minus ours).",
    )
    halts: bool = Field(
        default=False, description="This finding halts the account (opens an exception)."
    )


class ReconcileReport(Contract):
    account_id: str
    at: AwareDatetime
    items: list[ReconcileItem]
    halted: bool
    exceptions_opened: int


class ReasonBody(Contract):
    """A person's action on the trading system always carries a reason (audited)."""

    reason: str = Field(min_length=3, max_length=500)
    account_id: str | None = Field(
        default=None, description="The broker account; your default paper account if omitted."
    )


# --- manual tools, audit, kill (shared by trading-service and the gateway) ----------------------


class ManualTrade(Contract):
    """A trade made outside the system, recorded into the ledger (audited with its reason)."""

    account_id: str | None = None
    deployment_id: str | None = Field(
        default=None, description="Attribute it to this deployment; unattributed if omitted."
    )
    symbol: str = Field(min_length=1, max_length=64)
    side: Side
    qty: Dec = Field(gt=0)
    price: Dec = Field(gt=0)
    fees: Dec = Field(default=Decimal(0), ge=0)
    ts: AwareDatetime | None = None
    reason: str = Field(min_length=3, max_length=500)


class Reattribute(Contract):
    """Move a signed quantity of a position between deployments (null: unattributed)."""

    account_id: str | None = None
    symbol: str = Field(min_length=1, max_length=64)
    qty: Dec = Field(description="Signed: positive moves long units, negative short units.")
    from_deployment_id: str | None = None
    to_deployment_id: str | None = None
    reason: str = Field(min_length=3, max_length=500)


class CloseBreak(Contract):
    """Close a reconciliation break (an exception) once the records are fixed."""

    account_id: str | None = None
    exception_id: str = Field(min_length=1, max_length=64)
    reason: str = Field(min_length=3, max_length=500)


class AuditEntry(Contract):
    """One link of the append-only, hash-chained audit log (secrets redacted)."""

    seq: int
    at: AwareDatetime
    actor: str
    kind: str
    record: dict[str, Any]
    prev_hash: str
    hash: str


class AuditPage(Contract):
    items: list[AuditEntry]
    next_cursor: str | None = None
    verified: bool = Field(description="True when the whole hash chain of the account verifies.")


class KillResult(Contract):
    """The kill switch fired: the account's state and the flatten orders it submitted."""

    account_id: str
    state: str
    flatten_orders: list[str] = Field(description="Client order ids of the reduce-only flatten.")
