"""Outgoing TWS messages at server version 178, one builder per message id.

Each builder returns the field list in wire order; the names beside the values are the TWS API's
own field names, so a reader can check them against the protocol documentation. Empty strings
stand for "unset" exactly as TWS sends them for fields that do not apply."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

from vt_fakes.tws.venue import ContractSpec, FakeExecution, FakeOrder

# incoming message ids (client → TWS)
IN_PLACE_ORDER = 3
IN_CANCEL_ORDER = 4
IN_REQ_OPEN_ORDERS = 5
IN_REQ_ACCOUNT_UPDATES = 6
IN_REQ_EXECUTIONS = 7
IN_REQ_IDS = 8
IN_REQ_CONTRACT_DATA = 9
IN_REQ_AUTO_OPEN_ORDERS = 15
IN_REQ_ALL_OPEN_ORDERS = 16
IN_REQ_MANAGED_ACCTS = 17
IN_REQ_HISTORICAL_DATA = 20
IN_REQ_CURRENT_TIME = 49
IN_REQ_GLOBAL_CANCEL = 58
IN_REQ_MARKET_DATA_TYPE = 59
IN_REQ_POSITIONS = 61
IN_REQ_ACCOUNT_SUMMARY = 62
IN_START_API = 71
IN_REQ_ACCOUNT_UPDATES_MULTI = 76
IN_REQ_COMPLETED_ORDERS = 99

# outgoing message ids (TWS → client)
ORDER_STATUS = 3
ERR_MSG = 4
OPEN_ORDER = 5
ACCT_VALUE = 6
PORTFOLIO_VALUE = 7
ACCT_UPDATE_TIME = 8
NEXT_VALID_ID = 9
CONTRACT_DATA = 10
EXECUTION_DATA = 11
MANAGED_ACCTS = 15
HISTORICAL_DATA = 17
CURRENT_TIME = 49
CONTRACT_DATA_END = 52
OPEN_ORDER_END = 53
ACCT_DOWNLOAD_END = 54
EXECUTION_DATA_END = 55
COMMISSION_REPORT = 59
POSITION_DATA = 61
POSITION_END = 62
ACCOUNT_SUMMARY = 63
ACCOUNT_SUMMARY_END = 64
ACCOUNT_UPDATE_MULTI = 73
ACCOUNT_UPDATE_MULTI_END = 74
COMPLETED_ORDER = 101
COMPLETED_ORDERS_END = 102

Fields = list[object]


def num(value: Decimal | None) -> str:
    """A decimal as TWS prints it (no exponent, no trailing zeros)."""
    if value is None:
        return ""
    text = format(value.normalize(), "f")
    return text


def ib_time(ts: datetime) -> str:
    """`yyyymmdd hh:mm:ss <tz>`, the form TWS uses for execution times."""
    return ts.astimezone(UTC).strftime("%Y%m%d %H:%M:%S") + " UTC"


def _contract(c: ContractSpec) -> Fields:
    # conId, symbol, secType, lastTradeDateOrContractMonth, strike, right, multiplier,
    # exchange, currency, localSymbol, tradingClass
    mult = num(c.multiplier) if c.sec_type != "STK" else ""
    return [
        c.con_id,
        c.symbol,
        c.sec_type,
        c.last_trade_date,
        "0",
        "",
        mult,
        c.exchange,
        c.currency,
        c.local_symbol,
        c.trading_class,
    ]


def error(req_id: int, code: int, text: str) -> Fields:
    # version 2, id, errorCode, errorString, advancedOrderRejectJson (server >= 166)
    return [ERR_MSG, 2, req_id, code, text, ""]


def next_valid_id(order_id: int) -> Fields:
    return [NEXT_VALID_ID, 1, order_id]


def managed_accounts(accounts: list[str]) -> Fields:
    return [MANAGED_ACCTS, 1, ",".join(accounts)]


def current_time(ts: datetime) -> Fields:
    return [CURRENT_TIME, 1, int(ts.timestamp())]


def contract_details(req_id: int, c: ContractSpec) -> Fields:
    order_types = "ACTIVETIM,ADJUST,ALERT,ALGO,LMT,MKT,STP,STPLMT,TRAIL"
    return [
        CONTRACT_DATA,
        req_id,
        c.symbol,
        c.sec_type,
        c.last_trade_date,  # lastTradeDate (and time/zone when present)
        "0",  # strike
        "",  # right
        c.exchange,
        c.currency,
        c.local_symbol,
        c.trading_class,  # marketName
        c.trading_class,
        c.con_id,
        num(c.min_tick),
        num(c.multiplier) if c.sec_type != "STK" else "",
        order_types,
        f"{c.exchange},{c.primary_exchange}" if c.primary_exchange else c.exchange,
        1,  # priceMagnifier
        0,  # underConId
        c.long_name,
        c.primary_exchange,
        c.last_trade_date[:6],  # contractMonth
        "",  # industry
        "",  # category
        "",  # subcategory
        "US/Eastern" if c.sec_type == "STK" else "US/Central",
        "",  # tradingHours
        "",  # liquidHours
        "",  # evRule
        "",  # evMultiplier
        0,  # secIdList count
        1,  # aggGroup
        c.symbol if c.sec_type == "FUT" else "",  # underSymbol
        "IND" if c.sec_type == "FUT" else "",  # underSecType
        "26",  # marketRuleIds
        c.last_trade_date,  # realExpirationDate
        "COMMON" if c.sec_type == "STK" else "",  # stockType
        num(c.lot),  # minSize
        num(c.lot),  # sizeIncrement (the board lot)
        num(c.lot),  # suggestedSizeIncrement
    ]


def contract_details_end(req_id: int) -> Fields:
    return [CONTRACT_DATA_END, 1, req_id]


def open_order(o: FakeOrder) -> Fields:
    c = o.contract
    return [
        OPEN_ORDER,
        o.order_id,
        *_contract(c),
        o.action,
        num(o.total_qty),
        o.order_type,
        num(o.lmt_price) if o.lmt_price is not None else "",
        num(o.aux_price) if o.aux_price is not None else "",
        o.tif,
        "",  # ocaGroup
        o.account,
        "O",  # openClose
        0,  # origin (customer)
        o.order_ref,
        o.client_id,
        o.perm_id,
        0,  # outsideRth
        0,  # hidden
        "",  # discretionaryAmt
        "",  # goodAfterTime
        "",  # sharesAllocation (deprecated)
        "",  # faGroup
        "",  # faMethod
        "",  # faPercentage (no faProfile since server 177)
        "",  # modelCode
        "",  # goodTillDate
        "",  # rule80A
        "",  # percentOffset
        "",  # settlingFirm
        0,  # shortSaleSlot
        "",  # designatedLocation
        -1,  # exemptCode
        0,  # auctionStrategy
        "",  # startingPrice
        "",  # stockRefPrice
        "",  # delta
        "",  # stockRangeLower
        "",  # stockRangeUpper
        "",  # displaySize
        0,  # blockOrder
        0,  # sweepToFill
        0,  # allOrNone
        "",  # minQty
        3,  # ocaType
        0,  # eTradeOnly
        0,  # firmQuoteOnly
        "",  # nbboPriceCap
        0,  # parentId
        0,  # triggerMethod
        "",  # volatility
        0,  # volatilityType
        "",  # deltaNeutralOrderType (none: no delta-neutral block follows)
        "",  # deltaNeutralAuxPrice
        0,  # continuousUpdate
        0,  # referencePriceType
        "",  # trailStopPrice
        "",  # trailingPercent
        "",  # basisPoints
        "",  # basisPointsType
        "",  # comboLegsDescrip
        0,  # comboLegs count
        0,  # orderComboLegs count
        0,  # smartComboRoutingParams count
        "",  # scaleInitLevelSize
        "",  # scaleSubsLevelSize
        "",  # scalePriceIncrement (unset: no scale block follows)
        "",  # hedgeType (none: no hedgeParam)
        0,  # optOutSmartRouting
        "",  # clearingAccount
        "",  # clearingIntent
        0,  # notHeld
        0,  # deltaNeutralContract present
        "",  # algoStrategy (none: no params)
        0,  # solicited
        0,  # whatIf
        o.status,
        "",  # initMarginBefore
        "",  # maintMarginBefore
        "",  # equityWithLoanBefore
        "",  # initMarginChange
        "",  # maintMarginChange
        "",  # equityWithLoanChange
        "",  # initMarginAfter
        "",  # maintMarginAfter
        "",  # equityWithLoanAfter
        "",  # commission
        "",  # minCommission
        "",  # maxCommission
        "",  # commissionCurrency
        "",  # warningText
        0,  # randomizeSize
        0,  # randomizePrice
        0,  # conditions count
        "",  # adjustedOrderType
        "",  # triggerPrice
        "",  # trailStopPrice
        "",  # lmtPriceOffset
        "",  # adjustedStopPrice
        "",  # adjustedStopLimitPrice
        "",  # adjustedTrailingAmount
        0,  # adjustableTrailingUnit
        "",  # softDollarTier name
        "",  # softDollarTier value
        "",  # softDollarTier displayName
        "",  # cashQty
        0,  # dontUseAutoPriceForHedge
        0,  # isOmsContainer
        0,  # discretionaryUpToLimitPrice
        "",  # usePriceMgmtAlgo
        "",  # duration (server >= 158)
        "",  # postToAts (>= 160)
        0,  # autoCancelParent (>= 162)
        "",  # minTradeQty (>= 170)
        "",  # minCompeteSize
        "",  # competeAgainstBestOffset
        "",  # midOffsetAtWhole
        "",  # midOffsetAtHalf
    ]


def order_status(o: FakeOrder, why_held: str = "") -> Fields:
    # no version field since server 100
    return [
        ORDER_STATUS,
        o.order_id,
        o.status,
        num(o.filled),
        num(o.remaining if not o.done else Decimal(0)),
        num(o.avg_price),
        o.perm_id,
        0,  # parentId
        num(o.last_fill_price),
        o.client_id,
        why_held,
        "",  # mktCapPrice
    ]


def open_order_end() -> Fields:
    return [OPEN_ORDER_END, 1]


def completed_order(o: FakeOrder) -> Fields:
    c = o.contract
    completed = o.completed_at.strftime("%Y%m%d %H:%M:%S") if o.completed_at else ""
    return [
        COMPLETED_ORDER,
        *_contract(c),
        o.action,
        num(o.total_qty),
        o.order_type,
        num(o.lmt_price) if o.lmt_price is not None else "",
        num(o.aux_price) if o.aux_price is not None else "",
        o.tif,
        "",  # ocaGroup
        o.account,
        "O",  # openClose
        0,  # origin
        o.order_ref,
        o.perm_id,
        0,  # outsideRth
        0,  # hidden
        "",  # discretionaryAmt
        "",  # goodAfterTime
        "",  # faGroup
        "",  # faMethod
        "",  # faPercentage
        "",  # modelCode
        "",  # goodTillDate
        "",  # rule80A
        "",  # percentOffset
        "",  # settlingFirm
        0,  # shortSaleSlot
        "",  # designatedLocation
        -1,  # exemptCode
        "",  # startingPrice
        "",  # stockRefPrice
        "",  # delta
        "",  # stockRangeLower
        "",  # stockRangeUpper
        "",  # displaySize
        0,  # sweepToFill
        0,  # allOrNone
        "",  # minQty
        3,  # ocaType
        0,  # triggerMethod
        "",  # volatility
        0,  # volatilityType
        "",  # deltaNeutralOrderType
        "",  # deltaNeutralAuxPrice
        0,  # continuousUpdate
        0,  # referencePriceType
        "",  # trailStopPrice
        "",  # trailingPercent
        "",  # comboLegsDescrip
        0,  # comboLegs count
        0,  # orderComboLegs count
        0,  # smartComboRoutingParams count
        "",  # scaleInitLevelSize
        "",  # scaleSubsLevelSize
        "",  # scalePriceIncrement
        "",  # hedgeType
        "",  # clearingAccount
        "",  # clearingIntent
        0,  # notHeld
        0,  # deltaNeutralContract present
        "",  # algoStrategy
        0,  # solicited
        o.status,
        0,  # randomizeSize
        0,  # randomizePrice
        0,  # conditions count
        "",  # trailStopPrice
        "",  # lmtPriceOffset
        "",  # cashQty
        0,  # dontUseAutoPriceForHedge
        0,  # isOmsContainer
        "",  # autoCancelDate
        num(o.filled),  # filledQuantity
        0,  # refFuturesConId
        0,  # autoCancelParent
        "",  # shareholder
        0,  # imbalanceOnly
        0,  # routeMarketableToBbo
        0,  # parentPermId
        completed,  # completedTime
        o.status,  # completedStatus
        "",  # minTradeQty
        "",  # minCompeteSize
        "",  # competeAgainstBestOffset
        "",  # midOffsetAtWhole
        "",  # midOffsetAtHalf
    ]


def completed_orders_end() -> Fields:
    return [COMPLETED_ORDERS_END]


def exec_details(req_id: int, e: FakeExecution) -> Fields:
    # no version field since server 136 (the request id leads)
    return [
        EXECUTION_DATA,
        req_id,
        e.order_id,
        *_contract(e.contract),
        e.exec_id,
        ib_time(e.time),
        e.account,
        e.contract.primary_exchange or e.contract.exchange,  # executing exchange
        e.side,
        num(e.shares),
        num(e.price),
        e.perm_id,
        e.client_id,
        0,  # liquidation
        num(e.cum_qty),
        num(e.avg_price),
        e.order_ref,
        "",  # evRule
        "",  # evMultiplier
        "",  # modelCode
        1,  # lastLiquidity (added)
        0,  # pendingPriceRevision (server >= 178)
    ]


def exec_details_end(req_id: int) -> Fields:
    return [EXECUTION_DATA_END, 1, req_id]


def commission_report(e: FakeExecution) -> Fields:
    return [
        COMMISSION_REPORT,
        1,
        e.exec_id,
        num(e.commission),
        e.contract.currency,
        num(e.realized_pnl) if e.realized_pnl else "1.7976931348623157E308",
        "1.7976931348623157E308",  # yield (unset)
        "",  # yieldRedemptionDate
    ]


def position(account: str, c: ContractSpec, qty: Decimal, avg_cost: Decimal) -> Fields:
    return [POSITION_DATA, 3, account, *_contract(c), num(qty), num(avg_cost)]


def position_end() -> Fields:
    return [POSITION_END, 1]


def account_value(key: str, value: str, currency: str, account: str) -> Fields:
    return [ACCT_VALUE, 2, key, value, currency, account]


def portfolio_value(
    c: ContractSpec, qty: Decimal, price: Decimal, avg_cost: Decimal, account: str
) -> Fields:
    market_value = qty * price * c.multiplier
    unrealized = market_value - qty * avg_cost
    # updatePortfolio carries primaryExchange where the others carry exchange
    contract = _contract(c)
    contract[7] = c.primary_exchange
    return [
        PORTFOLIO_VALUE,
        8,
        *contract,
        num(qty),
        num(price),
        num(market_value),
        num(avg_cost),
        num(unrealized),
        "0",
        account,
    ]


def account_update_time(ts: datetime) -> Fields:
    return [ACCT_UPDATE_TIME, 1, ts.astimezone(UTC).strftime("%H:%M")]


def account_download_end(account: str) -> Fields:
    return [ACCT_DOWNLOAD_END, 1, account]


def account_summary(req_id: int, account: str, tag: str, value: str, currency: str) -> Fields:
    return [ACCOUNT_SUMMARY, 1, req_id, account, tag, value, currency]


def account_summary_end(req_id: int) -> Fields:
    return [ACCOUNT_SUMMARY_END, 1, req_id]


def account_update_multi(req_id: int, account: str, key: str, value: str, currency: str) -> Fields:
    return [ACCOUNT_UPDATE_MULTI, 1, req_id, account, "", key, value, currency]


def account_update_multi_end(req_id: int) -> Fields:
    return [ACCOUNT_UPDATE_MULTI_END, 1, req_id]


def historical_data(req_id: int, start: str, end: str, bars: list[tuple[str, ...]]) -> Fields:
    out: Fields = [HISTORICAL_DATA, req_id, start, end, len(bars)]
    for bar in bars:
        out.extend(bar)
    return out
