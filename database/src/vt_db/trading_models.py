"""SQLAlchemy models of the trading service (writer: trading-service only).

One set of tables per environment schema, ``trading_paper`` and ``trading_live``: the models
are declared in the placeholder schema ``trading`` and every process translates it to its own
schema (``schema_translate_map``), so paper and live share one model and one Alembic history
but never a row. The migration also creates the NOLOGIN roles ``vt_trading_paper`` /
``vt_trading_live`` with privileges on their own schema only; a trading process ``SET ROLE``s
to its environment's role on connect.

No foreign key reaches ``public`` (users): the environment roles have no access there, by design.
"""

from __future__ import annotations

import uuid
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import (
    BigInteger,
    Boolean,
    CheckConstraint,
    Date,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    Numeric,
    String,
    Text,
    UniqueConstraint,
    func,
)
from sqlalchemy.dialects.postgresql import JSONB, UUID
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from vt_db.models import NAMING

PLACEHOLDER_SCHEMA = "trading"
"""Schema name in the models; translated per process to `trading_<environment>`."""
ENVIRONMENTS = ("paper", "live")


def schema_for(environment: str) -> str:
    """The PostgreSQL schema of an environment (`paper` -> `trading_paper`)."""
    if environment not in ENVIRONMENTS:
        raise ValueError(f"unknown trading environment {environment!r}")
    return f"trading_{environment}"


def role_for(environment: str) -> str:
    """The NOLOGIN role a process of that environment runs its queries as."""
    if environment not in ENVIRONMENTS:
        raise ValueError(f"unknown trading environment {environment!r}")
    return f"vt_trading_{environment}"


MONEY = Numeric(30, 10)


class TradingBase(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING, schema=PLACEHOLDER_SCHEMA)
    type_annotation_map = {  # noqa: RUF012 - SQLAlchemy reads this class attribute
        dict[str, Any]: JSONB,
        list[Any]: JSONB,
        datetime: DateTime(timezone=True),
        Decimal: MONEY,
    }


def _uuid_pk() -> Mapped[uuid.UUID]:
    return mapped_column(UUID(as_uuid=True), primary_key=True, default=uuid.uuid4)


def _created() -> Mapped[datetime]:
    return mapped_column(DateTime(timezone=True), server_default=func.now(), nullable=False)


def _updated() -> Mapped[datetime]:
    return mapped_column(
        DateTime(timezone=True), server_default=func.now(), onupdate=func.now(), nullable=False
    )


def _account_fk() -> Mapped[uuid.UUID]:
    return mapped_column(
        UUID(as_uuid=True),
        ForeignKey(f"{PLACEHOLDER_SCHEMA}.broker_accounts.id", ondelete="CASCADE"),
        nullable=False,
        index=True,
    )


def _deployment_fk(nullable: bool = True) -> Mapped[uuid.UUID | None]:
    return mapped_column(
        UUID(as_uuid=True),
        ForeignKey(f"{PLACEHOLDER_SCHEMA}.deployments.id", ondelete="CASCADE"),
        nullable=nullable,
        index=True,
    )


class BrokerAccountRow(TradingBase):
    __tablename__ = "broker_accounts"
    __table_args__ = (
        UniqueConstraint("user_id", "name", name="uq_broker_accounts_user_name"),
        CheckConstraint("environment IN ('paper', 'live')", name="environment"),
    )

    id: Mapped[uuid.UUID] = _uuid_pk()
    user_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), nullable=False, index=True)
    name: Mapped[str] = mapped_column(String(80), nullable=False)
    venue: Mapped[str] = mapped_column(String(40), nullable=False)
    environment: Mapped[str] = mapped_column(String(8), nullable=False)
    base_currency: Mapped[str] = mapped_column(String(5), nullable=False, default="USD")
    starting_cash: Mapped[Decimal] = mapped_column(MONEY, nullable=False)
    credentials_enc: Mapped[str | None] = mapped_column(Text)
    risk_limits: Mapped[dict[str, Any]] = mapped_column(JSONB, nullable=False)
    is_default: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False)
    created_at: Mapped[datetime] = _created()
    updated_at: Mapped[datetime] = _updated()


class DeploymentRow(TradingBase):
    __tablename__ = "deployments"
    __table_args__ = (
        CheckConstraint(
            "status IN ('pending', 'running', 'paused', 'stopped', 'expired', 'failed')",
            name="status",
        ),
        CheckConstraint("capital > 0", name="capital_positive"),
    )

    id: Mapped[uuid.UUID] = _uuid_pk()
    user_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), nullable=False, index=True)
    account_id: Mapped[uuid.UUID] = _account_fk()
    strategy_id: Mapped[str] = mapped_column(String(64), nullable=False)
    version: Mapped[int] = mapped_column(Integer, nullable=False)
    spec_hash: Mapped[str] = mapped_column(String(128), nullable=False)
    spec: Mapped[dict[str, Any]] = mapped_column(JSONB, nullable=False)
    backtest_id: Mapped[str] = mapped_column(String(64), nullable=False)
    environment: Mapped[str] = mapped_column(String(8), nullable=False)
    venue: Mapped[str] = mapped_column(String(40), nullable=False)
    status: Mapped[str] = mapped_column(String(16), nullable=False, default="pending")
    capital: Mapped[Decimal] = mapped_column(MONEY, nullable=False)
    dry_run: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False)
    review_mode: Mapped[str] = mapped_column(String(8), nullable=False)
    timeframe: Mapped[str] = mapped_column(String(8), nullable=False)
    symbols: Mapped[list[Any]] = mapped_column(JSONB, nullable=False)
    instrument_map: Mapped[list[Any]] = mapped_column(JSONB, nullable=False)
    gates: Mapped[dict[str, Any]] = mapped_column(JSONB, nullable=False)
    trade_start: Mapped[datetime | None] = mapped_column(
        DateTime(timezone=True), doc="First tradable bar (the engine trades only from here)."
    )
    expires_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    last_bar_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    last_phase: Mapped[str | None] = mapped_column(
        String(8), doc="Phase of last_bar_at already completed (open/close): restart resumes here."
    )
    triggered: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False)
    status_reason: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = _created()
    updated_at: Mapped[datetime] = _updated()


class ReplayClockRow(TradingBase):
    """A replay's clock: a deployment stepped through historical bars, labelled replay."""

    __tablename__ = "replay_clocks"

    deployment_id: Mapped[uuid.UUID] = mapped_column(
        UUID(as_uuid=True),
        ForeignKey(f"{PLACEHOLDER_SCHEMA}.deployments.id", ondelete="CASCADE"),
        primary_key=True,
    )
    start: Mapped[date] = mapped_column(Date, nullable=False)
    end: Mapped[date] = mapped_column(Date, nullable=False)
    bars_per_second: Mapped[float] = mapped_column(Float, nullable=False)
    cursor: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    bars_done: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    bars_total: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    finished: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False)
    updated_at: Mapped[datetime] = _updated()


class TargetSnapshotRow(TradingBase):
    """Immutable per (deployment, bar): what the model wants to hold. Only `review` changes."""

    __tablename__ = "target_snapshots"
    __table_args__ = (
        UniqueConstraint("deployment_id", "seq", name="uq_target_snapshots_deployment_seq"),
        CheckConstraint(
            "review IN ('proposed', 'approved', 'applied', 'rejected', 'superseded')",
            name="review",
        ),
    )

    id: Mapped[uuid.UUID] = _uuid_pk()
    deployment_id: Mapped[uuid.UUID] = mapped_column(
        UUID(as_uuid=True),
        ForeignKey(f"{PLACEHOLDER_SCHEMA}.deployments.id", ondelete="CASCADE"),
        nullable=False,
        index=True,
    )
    seq: Mapped[int] = mapped_column(Integer, nullable=False)
    bar_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), nullable=False)
    review: Mapped[str] = mapped_column(String(12), nullable=False)
    lines: Mapped[list[Any]] = mapped_column(JSONB, nullable=False)
    signal: Mapped[dict[str, Any]] = mapped_column(JSONB, nullable=False)
    model: Mapped[dict[str, Any]] = mapped_column(
        JSONB, nullable=False, doc="Model state summary and the bars used (audit)."
    )
    reviewed_by: Mapped[str | None] = mapped_column(String(64))
    review_reason: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = _created()


class OrderRow(TradingBase):
    __tablename__ = "orders"
    __table_args__ = (
        UniqueConstraint("account_id", "client_order_id", name="uq_orders_account_coid"),
        CheckConstraint("side IN ('buy', 'sell')", name="side"),
        CheckConstraint(
            "state IN ('new', 'submitting', 'accepted', 'partially_filled', 'filled', "
            "'cancel_pending', 'cancelled', 'rejected', 'expired', 'unknown')",
            name="state",
        ),
        CheckConstraint("qty > 0", name="qty_positive"),
        CheckConstraint("filled_qty >= 0 AND filled_qty <= qty", name="filled_within_qty"),
        Index("ix_orders_account_state", "account_id", "state"),
    )

    id: Mapped[uuid.UUID] = _uuid_pk()
    account_id: Mapped[uuid.UUID] = _account_fk()
    deployment_id: Mapped[uuid.UUID | None] = _deployment_fk()
    target_id: Mapped[uuid.UUID | None] = mapped_column(UUID(as_uuid=True))
    client_order_id: Mapped[str] = mapped_column(String(36), nullable=False)
    symbol: Mapped[str] = mapped_column(String(64), nullable=False)
    side: Mapped[str] = mapped_column(String(4), nullable=False)
    type: Mapped[str] = mapped_column(String(16), nullable=False)
    qty: Mapped[Decimal] = mapped_column(MONEY, nullable=False)
    filled_qty: Mapped[Decimal] = mapped_column(MONEY, nullable=False, default=Decimal(0))
    avg_fill_price: Mapped[Decimal | None] = mapped_column(MONEY)
    limit_price: Mapped[Decimal | None] = mapped_column(MONEY)
    stop_price: Mapped[Decimal | None] = mapped_column(MONEY)
    oco_group: Mapped[str | None] = mapped_column(String(64))
    state: Mapped[str] = mapped_column(String(16), nullable=False, default="new")
    reduce_only: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False)
    dry_run: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False)
    reason: Mapped[str] = mapped_column(String(64), nullable=False)
    risk_decision: Mapped[str] = mapped_column(String(8), nullable=False, default="allow")
    risk_reason: Mapped[str | None] = mapped_column(Text)
    broker_order_id: Mapped[str | None] = mapped_column(String(64))
    bar_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    lease_token: Mapped[int | None] = mapped_column(
        BigInteger, doc="Fencing token of the runner lease that created it."
    )
    created_at: Mapped[datetime] = _created()
    updated_at: Mapped[datetime] = _updated()


class FillRow(TradingBase):
    __tablename__ = "fills"
    __table_args__ = (
        UniqueConstraint("venue", "execution_id", name="uq_fills_venue_execution"),
        CheckConstraint("qty > 0", name="qty_positive"),
    )

    id: Mapped[uuid.UUID] = _uuid_pk()
    account_id: Mapped[uuid.UUID] = _account_fk()
    deployment_id: Mapped[uuid.UUID | None] = _deployment_fk()
    order_id: Mapped[uuid.UUID | None] = mapped_column(
        UUID(as_uuid=True),
        ForeignKey(f"{PLACEHOLDER_SCHEMA}.orders.id", ondelete="CASCADE"),
        index=True,
    )
    client_order_id: Mapped[str] = mapped_column(String(36), nullable=False)
    venue: Mapped[str] = mapped_column(String(40), nullable=False)
    execution_id: Mapped[str] = mapped_column(String(96), nullable=False)
    ts: Mapped[datetime] = mapped_column(DateTime(timezone=True), nullable=False)
    symbol: Mapped[str] = mapped_column(String(64), nullable=False)
    side: Mapped[str] = mapped_column(String(4), nullable=False)
    qty: Mapped[Decimal] = mapped_column(MONEY, nullable=False)
    price: Mapped[Decimal] = mapped_column(MONEY, nullable=False)
    fees: Mapped[Decimal] = mapped_column(MONEY, nullable=False)
    created_at: Mapped[datetime] = _created()


class PositionRow(TradingBase):
    """Per (account, deployment, instrument); deployment NULL is the unattributed bucket."""

    __tablename__ = "positions"
    __table_args__ = (
        Index(
            "uq_positions_account_deployment_symbol",
            "account_id",
            "deployment_id",
            "symbol",
            unique=True,
            postgresql_nulls_not_distinct=True,
        ),
    )

    id: Mapped[uuid.UUID] = _uuid_pk()
    account_id: Mapped[uuid.UUID] = _account_fk()
    deployment_id: Mapped[uuid.UUID | None] = _deployment_fk()
    symbol: Mapped[str] = mapped_column(String(64), nullable=False)
    qty: Mapped[Decimal] = mapped_column(MONEY, nullable=False, default=Decimal(0))
    avg_price: Mapped[Decimal] = mapped_column(MONEY, nullable=False, default=Decimal(0))
    multiplier: Mapped[Decimal] = mapped_column(MONEY, nullable=False, default=Decimal(1))
    inverse: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False)
    realized_pnl: Mapped[Decimal] = mapped_column(MONEY, nullable=False, default=Decimal(0))
    fees: Mapped[Decimal] = mapped_column(MONEY, nullable=False, default=Decimal(0))
    last_price: Mapped[Decimal | None] = mapped_column(MONEY)
    updated_at: Mapped[datetime] = _updated()


class PnLMarkRow(TradingBase):
    """An equity-curve point; deployment NULL: the account's curve."""

    __tablename__ = "pnl_marks"
    __table_args__ = (
        Index(
            "uq_pnl_marks_account_deployment_ts",
            "account_id",
            "deployment_id",
            "ts",
            unique=True,
            postgresql_nulls_not_distinct=True,
        ),
    )

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=True)
    account_id: Mapped[uuid.UUID] = _account_fk()
    deployment_id: Mapped[uuid.UUID | None] = _deployment_fk()
    ts: Mapped[datetime] = mapped_column(DateTime(timezone=True), nullable=False)
    equity: Mapped[float] = mapped_column(Float, nullable=False)
    realized_pnl: Mapped[float] = mapped_column(Float, nullable=False)
    unrealized_pnl: Mapped[float] = mapped_column(Float, nullable=False)
    fees: Mapped[float] = mapped_column(Float, nullable=False)


class RiskStateRow(TradingBase):
    """Persisted breaker state per account (deployment NULL) and per deployment."""

    __tablename__ = "risk_states"
    __table_args__ = (
        Index(
            "uq_risk_states_account_deployment",
            "account_id",
            "deployment_id",
            unique=True,
            postgresql_nulls_not_distinct=True,
        ),
        CheckConstraint(
            "state IN ('active', 'reducing', 'halted', 'killed', 'paused')", name="state"
        ),
    )

    id: Mapped[uuid.UUID] = _uuid_pk()
    account_id: Mapped[uuid.UUID] = _account_fk()
    deployment_id: Mapped[uuid.UUID | None] = _deployment_fk()
    state: Mapped[str] = mapped_column(String(12), nullable=False, default="active")
    reason: Mapped[str | None] = mapped_column(Text)
    data: Mapped[dict[str, Any]] = mapped_column(
        JSONB, nullable=False, doc="The breaker state machine's own data (RISK's BreakerState)."
    )
    killed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    flatten_latched: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False)
    episode: Mapped[int] = mapped_column(
        Integer, nullable=False, default=0, doc="Kill episode; the flatten is latched per episode."
    )
    updated_at: Mapped[datetime] = _updated()


class ExceptionRow(TradingBase):
    __tablename__ = "exceptions"
    __table_args__ = (
        CheckConstraint("severity IN ('info', 'warning', 'critical')", name="severity"),
        CheckConstraint("status IN ('open', 'acknowledged', 'resolved')", name="status"),
    )

    id: Mapped[uuid.UUID] = _uuid_pk()
    account_id: Mapped[uuid.UUID] = _account_fk()
    deployment_id: Mapped[uuid.UUID | None] = _deployment_fk()
    kind: Mapped[str] = mapped_column(String(40), nullable=False)
    severity: Mapped[str] = mapped_column(String(8), nullable=False)
    status: Mapped[str] = mapped_column(String(12), nullable=False, default="open")
    detail: Mapped[str] = mapped_column(Text, nullable=False)
    data: Mapped[dict[str, Any]] = mapped_column(JSONB, nullable=False, default=dict)
    resolved_by: Mapped[str | None] = mapped_column(String(64))
    resolution: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = _created()
    resolved_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class AuditRow(TradingBase):
    """Append-only (a trigger refuses UPDATE and DELETE), hash-chained per account."""

    __tablename__ = "audit_log"
    __table_args__ = (Index("ix_audit_log_account_seq", "account_id", "seq"),)

    seq: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=True)
    account_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), nullable=False)
    at: Mapped[datetime] = _created()
    actor: Mapped[str] = mapped_column(String(64), nullable=False)
    kind: Mapped[str] = mapped_column(String(40), nullable=False)
    record: Mapped[dict[str, Any]] = mapped_column(JSONB, nullable=False)
    prev_hash: Mapped[str] = mapped_column(String(64), nullable=False)
    hash: Mapped[str] = mapped_column(String(64), nullable=False)


class RunnerLeaseRow(TradingBase):
    """One active runner per account; `token` increases on every takeover (fencing)."""

    __tablename__ = "runner_leases"

    account_id: Mapped[uuid.UUID] = mapped_column(
        UUID(as_uuid=True),
        ForeignKey(f"{PLACEHOLDER_SCHEMA}.broker_accounts.id", ondelete="CASCADE"),
        primary_key=True,
    )
    holder: Mapped[str] = mapped_column(String(96), nullable=False)
    token: Mapped[int] = mapped_column(BigInteger, nullable=False)
    expires_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), nullable=False)
    acquired_at: Mapped[datetime] = _created()


class PaperOrderRow(TradingBase):
    """The paper venue's own book (the broker side; ours is `orders`)."""

    __tablename__ = "paper_orders"
    __table_args__ = (
        UniqueConstraint("account_id", "client_order_id", name="uq_paper_orders_account_coid"),
        CheckConstraint("status IN ('working', 'filled', 'cancelled', 'rejected')", name="status"),
    )

    id: Mapped[uuid.UUID] = _uuid_pk()
    account_id: Mapped[uuid.UUID] = _account_fk()
    scope: Mapped[str] = mapped_column(
        String(64), nullable=False, doc="Clock scope: the deployment whose bars match it."
    )
    client_order_id: Mapped[str] = mapped_column(String(36), nullable=False)
    symbol: Mapped[str] = mapped_column(String(64), nullable=False)
    side: Mapped[str] = mapped_column(String(4), nullable=False)
    type: Mapped[str] = mapped_column(String(16), nullable=False)
    qty: Mapped[Decimal] = mapped_column(MONEY, nullable=False)
    filled_qty: Mapped[Decimal] = mapped_column(MONEY, nullable=False, default=Decimal(0))
    limit_price: Mapped[Decimal | None] = mapped_column(MONEY)
    stop_price: Mapped[Decimal | None] = mapped_column(MONEY)
    oco_group: Mapped[str | None] = mapped_column(String(64))
    costs: Mapped[dict[str, Any]] = mapped_column(JSONB, nullable=False)
    status: Mapped[str] = mapped_column(String(12), nullable=False, default="working")
    created_at: Mapped[datetime] = _created()
    updated_at: Mapped[datetime] = _updated()


class PaperExecutionRow(TradingBase):
    __tablename__ = "paper_executions"
    __table_args__ = (
        UniqueConstraint("account_id", "execution_id", name="uq_paper_executions_account_exec"),
    )

    id: Mapped[uuid.UUID] = _uuid_pk()
    account_id: Mapped[uuid.UUID] = _account_fk()
    seq: Mapped[int] = mapped_column(BigInteger, nullable=False, index=True)
    client_order_id: Mapped[str] = mapped_column(String(36), nullable=False)
    execution_id: Mapped[str] = mapped_column(String(96), nullable=False)
    ts: Mapped[datetime] = mapped_column(DateTime(timezone=True), nullable=False)
    symbol: Mapped[str] = mapped_column(String(64), nullable=False)
    side: Mapped[str] = mapped_column(String(4), nullable=False)
    qty: Mapped[Decimal] = mapped_column(MONEY, nullable=False)
    price: Mapped[Decimal] = mapped_column(MONEY, nullable=False)
    fees: Mapped[Decimal] = mapped_column(MONEY, nullable=False)


class PaperBalanceRow(TradingBase):
    """The paper venue's cash and per-symbol positions of an account."""

    __tablename__ = "paper_balances"

    account_id: Mapped[uuid.UUID] = mapped_column(
        UUID(as_uuid=True),
        ForeignKey(f"{PLACEHOLDER_SCHEMA}.broker_accounts.id", ondelete="CASCADE"),
        primary_key=True,
    )
    cash: Mapped[Decimal] = mapped_column(MONEY, nullable=False)
    positions: Mapped[dict[str, Any]] = mapped_column(
        JSONB, nullable=False, default=dict, doc="symbol -> signed quantity (string decimal)."
    )
    exec_seq: Mapped[int] = mapped_column(BigInteger, nullable=False, default=0)
    updated_at: Mapped[datetime] = _updated()


class VenueCursorRow(TradingBase):
    """How far fills have been read from the account's venue: the adapter's opaque watermark
    (paper: execution sequence; an exchange: last trade id per symbol). Reconciliation and the
    fill import read `executions_since(watermark)` and advance it in the same transaction."""

    __tablename__ = "venue_cursors"

    account_id: Mapped[uuid.UUID] = mapped_column(
        UUID(as_uuid=True),
        ForeignKey(f"{PLACEHOLDER_SCHEMA}.broker_accounts.id", ondelete="CASCADE"),
        primary_key=True,
    )
    watermark: Mapped[str | None] = mapped_column(Text)
    updated_at: Mapped[datetime] = _updated()


class RiskOverrideRow(TradingBase):
    """A person's restriction on new risk (TRADING.md, Risk: overrides), one per level and
    target: ``target`` is '' for the account, the deployment id or the traded symbol."""

    __tablename__ = "risk_overrides"
    __table_args__ = (
        Index("uq_risk_overrides_scope", "account_id", "level", "target", unique=True),
        CheckConstraint("level IN ('account', 'deployment', 'instrument')", name="level"),
        CheckConstraint("mode IN ('no_trading', 'close_only', 'reduce_only')", name="mode"),
    )

    id: Mapped[uuid.UUID] = _uuid_pk()
    account_id: Mapped[uuid.UUID] = _account_fk()
    deployment_id: Mapped[uuid.UUID | None] = _deployment_fk()
    level: Mapped[str] = mapped_column(String(12), nullable=False)
    target: Mapped[str] = mapped_column(String(64), nullable=False, default="")
    mode: Mapped[str] = mapped_column(String(12), nullable=False)
    reason: Mapped[str] = mapped_column(Text, nullable=False)
    set_by: Mapped[str] = mapped_column(String(64), nullable=False)
    set_at: Mapped[datetime] = _created()


class AllowListRow(TradingBase):
    """The instrument allow-list of an account (no row: every instrument is allowed)."""

    __tablename__ = "instrument_allow_lists"

    account_id: Mapped[uuid.UUID] = mapped_column(
        UUID(as_uuid=True),
        ForeignKey(f"{PLACEHOLDER_SCHEMA}.broker_accounts.id", ondelete="CASCADE"),
        primary_key=True,
    )
    symbols: Mapped[list[Any]] = mapped_column(JSONB, nullable=False)
    reason: Mapped[str] = mapped_column(Text, nullable=False)
    set_by: Mapped[str] = mapped_column(String(64), nullable=False)
    set_at: Mapped[datetime] = _updated()


TRADING_TABLES = tuple(sorted(TradingBase.metadata.tables))
