"""Backtest requests, runs and results."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Any, Literal

from pydantic import AwareDatetime, Field, model_validator

from vt_contracts._base import Contract
from vt_contracts.problem import Problem
from vt_contracts.strategy import StrategySpec, Symbol, Timeframe

RunStatus = Literal["queued", "running", "succeeded", "failed", "cancelled"]
GateProfileName = Literal["strict", "relaxed"]
"""Server-owned promotion-gate profiles (``vt_engine.gates.PROFILES``)."""
WHAT_IF = "what_if"
"""Profile label of gates evaluated with thresholds a request supplied: never decides eligibility."""


class CodeStrategy(Contract):
    """A custom-code strategy: a module defining `generate_signals(data, params)`, run only in the sandbox."""

    code: str = Field(
        min_length=1,
        max_length=100_000,
        description="Python source defining generate_signals(data, params) -> (entries, exits) or a dict with entries, exits, short_entries, short_exits.",
    )
    symbols: list[Symbol] = Field(
        min_length=1,
        max_length=20,
        description="Symbols the code runs on (each independently, sharing cash).",
    )
    timeframe: Timeframe = "1d"
    start: date | None = None
    end: date | None = None
    initial_capital: float = Field(default=100_000.0, gt=0, le=1e12)
    commission: float = Field(
        default=0.001,
        ge=0,
        le=0.1,
        description="Commission as a FRACTION of traded value (0.001 = 0.1%).",
    )
    slippage: float = Field(
        default=0.0005, ge=0, le=0.1, description="Slippage as a FRACTION of price."
    )
    fill: Literal["next_open", "close"] = Field(
        default="next_open",
        description="'next_open' (default) or the labelled research shortcut 'close'.",
    )
    size: float = Field(
        default=1.0,
        gt=0,
        le=1,
        description="Fraction of equity per entry (1 = all of it; whole units for equities).",
    )
    params: dict[str, Any] = Field(
        default_factory=dict, description="Parameters passed to generate_signals."
    )

    @model_validator(mode="after")
    def _check_period(self) -> CodeStrategy:
        if self.start and self.end and self.start >= self.end:
            raise ValueError(f"start ({self.start}) must be before end ({self.end})")
        return self


class WalkForwardConfig(Contract):
    """Walk-forward optimisation: re-optimise on each in-sample window, test on the next out-of-sample window."""

    parameters: dict[str, list[float]] = Field(
        description="Grid to search, keyed by 'indicator_id.field' (e.g. {'fast.window': [5, 10, 20]})."
    )
    in_sample_bars: int = Field(default=504, ge=50)
    out_of_sample_bars: int = Field(default=126, ge=10)
    objective: Literal["sharpe_ratio", "total_return_pct", "calmar_ratio", "profit_factor"] = (
        "sharpe_ratio"
    )


class GateThresholds(Contract):
    """A set of promotion-gate thresholds.

    The server's named profiles decide eligibility; thresholds sent with a request only give a
    labelled what-if evaluation (`what_if_gates`) that never makes a strategy eligible.
    """

    min_trades: int = Field(default=30, ge=0)
    min_profit_factor: float = Field(default=1.5)
    min_sharpe: float = Field(default=1.0)
    max_drawdown_pct: float = Field(default=15.0, gt=0)
    require_positive_oos: bool = Field(
        default=True, description="Out-of-sample (walk-forward) return must be positive."
    )
    max_p_value: float = Field(default=0.05, gt=0, le=1)


class BacktestRequest(Contract):
    """What the backtest engine is asked to run (exactly one of `spec` or `code`)."""

    run_id: str = Field(description="Id of the run record this request belongs to.")
    user_id: str | None = Field(
        default=None, description="Owner; required to read the user's uploaded data."
    )
    spec: StrategySpec | None = None
    code: CodeStrategy | None = None
    walk_forward: WalkForwardConfig | None = None
    gate_profile: GateProfileName = Field(
        default="strict", description="Server-owned gate profile that decides eligibility."
    )
    gates: GateThresholds | None = Field(
        default=None,
        description="Optional what-if thresholds: evaluated into `what_if_gates`, labelled, never used for eligibility.",
    )

    @model_validator(mode="after")
    def _exactly_one(self) -> BacktestRequest:
        if (self.spec is None) == (self.code is None):
            raise ValueError("give exactly one of `spec` or `code`")
        return self


class Series(Contract):
    """A time series as parallel arrays (compact for charts)."""

    timestamps: list[AwareDatetime]
    values: list[float | None]


ExitReason = Literal[
    "signal", "stop_loss", "trailing_stop", "take_profit", "max_holding", "end_of_data", "reverse"
]


class Trade(Contract):
    """One exit of a position (or the position still open at the end). A position closed in
    several parts (staged take-profit) is one round trip with several exits: see `round_trip`."""

    symbol: str
    direction: Literal["long", "short"]
    entry_time: AwareDatetime
    entry_price: float = Field(description="Average fill price including slippage.")
    exit_time: AwareDatetime | None
    exit_price: float | None
    size: float = Field(description="Units traded (absolute).")
    pnl: float = Field(description="Profit and loss after all fees, account currency.")
    return_pct: float = Field(description="Return on the capital committed, percent, after fees.")
    fees: float = Field(ge=0, description="Commission paid on entry and exit.")
    duration_bars: int = Field(ge=0)
    exit_reason: ExitReason | None = None
    is_open: bool = Field(
        default=False, description="Still open at the end of the data (marked to the last close)."
    )
    round_trip: int | None = Field(
        default=None,
        ge=0,
        description="Round trip (position) this exit belongs to, numbered from 0 in order of entry. The partial exits of a staged take-profit share one; trade statistics (trade_count, win rate, p-value) count round trips.",
    )


class SummaryStats(Contract):
    """Headline metrics. Units are in the names; undefined values (e.g. profit factor without losing trades) are null."""

    start: AwareDatetime
    end: AwareDatetime
    bars: int
    initial_capital: float
    final_equity: float
    total_return_pct: float
    cagr_pct: float | None = Field(
        description="Compound annual growth rate over calendar time (first bar to last), percent; null under one year (see cagr_null_reason)."
    )
    cagr_null_reason: str | None = Field(
        default=None,
        description="Why cagr_pct and calmar_ratio are null (e.g. less than a year of data).",
    )
    volatility_annual_pct: float | None
    sharpe_ratio: float | None
    sortino_ratio: float | None
    max_drawdown_pct: float = Field(
        description="Largest peak-to-trough fall of equity, percent (positive number)."
    )
    longest_drawdown_bars: int
    longest_drawdown_days: float | None = None
    recovery_bars: int | None = Field(
        default=None,
        description="Bars from the trough of the largest drawdown back to the old peak; null if not recovered.",
    )
    calmar_ratio: float | None
    win_rate_pct: float | None
    profit_factor: float | None
    expectancy: float | None = Field(description="Average P&L per trade, account currency.")
    expectancy_pct: float | None = Field(
        default=None, description="Average return per trade, percent."
    )
    avg_win_pct: float | None
    avg_loss_pct: float | None
    reward_risk_ratio: float | None
    exposure_pct: float = Field(description="Share of bars with an open position, percent.")
    trade_count: int
    trade_p_value: float | None = Field(
        description="One-sided t-test p-value that mean trade return > 0."
    )
    total_fees: float
    benchmark_return_pct: float | None
    alpha_annual_pct: float | None
    beta: float | None
    periods_per_year: float = Field(description="Annualisation factor used (bars per year).")


class GateResult(Contract):
    """One promotion gate: its threshold, the measured value and pass/fail."""

    name: str
    description: str
    threshold: float | bool
    value: float | bool | None
    passed: bool
    profile: str = Field(
        default="strict",
        description="Server profile that set the threshold ('strict', 'relaxed'), or 'what_if' for thresholds a request supplied (never decides eligibility).",
    )


class WalkForwardWindow(Contract):
    """One walk-forward fold."""

    in_sample_start: AwareDatetime
    in_sample_end: AwareDatetime
    out_of_sample_start: AwareDatetime
    out_of_sample_end: AwareDatetime
    best_params: dict[str, float]
    in_sample_score: float | None
    out_of_sample_return_pct: float = Field(
        description="Return of the out-of-sample window, percent, after boundary_exit_cost."
    )
    boundary_exit_cost: float = Field(
        default=0.0,
        ge=0,
        description="Commission and slippage of closing, at the window's last close, the positions still open at its end (the next window starts flat, so they are sold, not handed over for free). 0 for the last window, whose open position is marked to market like a backtest's.",
    )


class WalkForwardReport(Contract):
    """Walk-forward result: per-window parameters and the stitched out-of-sample equity."""

    windows: list[WalkForwardWindow]
    oos_equity: Series
    oos_total_return_pct: float
    oos_sharpe_ratio: float | None


class Provenance(Contract):
    """Everything needed to trace and reproduce a result."""

    spec_hash: str = Field(
        description="SHA-256 of the canonical strategy (spec JSON or code + settings)."
    )
    data_hash: str = Field(description="SHA-256 of the OHLCV data used.")
    engine_version: str
    run_hash: str = Field(
        description="SHA-256 of spec_hash + data_hash + engine_version: equal hashes mean an identical result."
    )
    conventions: dict[str, str] = Field(
        description="Fill price, sizing, commission, annualisation used."
    )
    data_sources: dict[str, str] = Field(
        default_factory=dict, description="Provider / label per symbol."
    )
    warmup_bars: int | None = Field(
        default=None,
        description="Bars of history before the first traded bar that the indicators used (warm-up).",
    )
    warmup_required: int | None = Field(
        default=None,
        description="Bars of warm-up the strategy's indicators, ATR stop and sizing look-back need; a warning says when warmup_bars is smaller.",
    )


class TradeBootstrap(Contract):
    """Bootstrap of the closed round trips' P&L: many alternative trade sequences drawn with
    replacement (seeded, reproducible), showing how much of the result is the order and luck
    of the trades."""

    paths: int = Field(description="Resampled trade sequences.")
    trades: int = Field(description="Closed round trips resampled.")
    band_low_pct: float = Field(description="Lower percentile of the bands, e.g. 5.")
    band_high_pct: float = Field(description="Upper percentile of the bands, e.g. 95.")
    after_trade: list[int] = Field(
        description="Trade numbers (1-based) the equity band points are taken after (at most 500 points)."
    )
    equity_low: list[float] = Field(description="Equity band, lower percentile, account currency.")
    equity_median: list[float]
    equity_high: list[float] = Field(description="Equity band, upper percentile.")
    final_return_pct_low: float
    final_return_pct_median: float
    final_return_pct_high: float
    max_drawdown_pct_median: float
    max_drawdown_pct_high: float = Field(
        description="Upper percentile of the resampled maximum drawdowns, percent (a drawdown to plan for)."
    )
    observed_max_drawdown_pct: float = Field(
        description="Maximum drawdown of the observed trade sequence (trade by trade), percent."
    )
    prob_drawdown_at_least_observed: float = Field(
        ge=0,
        le=1,
        description="Share of resampled sequences with a drawdown at least as deep as the observed one.",
    )
    prob_loss: float = Field(
        ge=0, le=1, description="Share of resampled sequences that lose money."
    )


class DeflatedSharpeReport(Contract):
    """Deflated Sharpe Ratio (Bailey & Lopez de Prado, 2014): the probability that the true
    Sharpe ratio beats the best one expected from luck alone over `n_trials` variants, given
    the skewness and fat tails of the bar returns."""

    sharpe_annual: float
    expected_max_sharpe_annual: float = Field(
        description="Best annualised Sharpe expected from n_trials strategies without edge."
    )
    n_trials: int = Field(
        description="Variants of the strategy counted as tried (1: this run only; earlier versions and sweeps are not counted yet)."
    )
    observations: int = Field(description="Bar returns used.")
    skewness: float
    kurtosis: float = Field(description="Kurtosis of the bar returns (3 for normal returns).")
    probabilistic_sharpe: float = Field(
        ge=0, le=1, description="Probability that the true Sharpe ratio is above 0 (one trial)."
    )
    deflated_sharpe: float = Field(
        ge=0,
        le=1,
        description="Probability that the true Sharpe ratio is above expected_max_sharpe_annual.",
    )


class Robustness(Contract):
    """How much of the result could be luck: a bootstrap of the trades and the Deflated Sharpe
    Ratio. Null parts need more data (two closed trades; three bars with varying returns)."""

    bootstrap: TradeBootstrap | None = None
    deflated_sharpe: DeflatedSharpeReport | None = None


class BacktestResult(Contract):
    """Everything a backtest produced."""

    summary_stats: SummaryStats
    equity_curve: Series
    benchmark_curve: Series | None = None
    drawdown_curve: Series = Field(description="Drawdown from the running peak, percent (<= 0).")
    returns: Series = Field(description="Per-bar strategy returns, fraction.")
    trades: list[Trade]
    gates: list[GateResult] = Field(
        default_factory=list,
        description="Promotion gates of the server profile `gate_profile`; these decide eligibility.",
    )
    gate_profile: str = Field(default="strict", description="Server profile the `gates` used.")
    what_if_gates: list[GateResult] = Field(
        default_factory=list,
        description="What-if evaluation with thresholds the request supplied (profile 'what_if'); informational only.",
    )
    walk_forward: WalkForwardReport | None = None
    robustness: Robustness | None = Field(
        default=None, description="Bootstrap of the trades and Deflated Sharpe Ratio."
    )
    provenance: Provenance
    warnings: list[str] = Field(default_factory=list)


class BacktestRun(Contract):
    """State of a backtest run as the gateway reports it."""

    id: str
    status: RunStatus
    progress: float = Field(ge=0, le=1, description="0..1")
    created_at: AwareDatetime
    started_at: datetime | None = None
    finished_at: datetime | None = None
    strategy_id: str | None = None
    error: Problem | None = None
    result: BacktestResult | None = None


JSONValue = Annotated[Any, Field(description="Any JSON value")]
