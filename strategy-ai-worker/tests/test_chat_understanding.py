"""Issue 19: every clause accounted for, the reported failures, and conversations that keep
context (clarifications complete a request, follow-ups edit filters, exits, sizing, symbols,
period and direction). Chat turns run against real PostgreSQL with the offline parser."""

from __future__ import annotations

import uuid
from datetime import date
from typing import Any

import httpx
import pytest
from ai_stubs import headers

from vt_strategy_ai.nlp.parser import ParseResult, parse_message
from vt_strategy_ai.spec.checks import check_spec

TODAY = date(2026, 11, 21)


def parse(text: str, current: dict[str, Any] | None = None) -> ParseResult:
    return parse_message(text, current, today=TODAY)


def ids_of(spec: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {i["id"]: i for i in spec["indicators"]}


# --------------------------------------------------------------------------------------------
# The failures quoted in the issue
# --------------------------------------------------------------------------------------------


def test_adx_clause_becomes_a_filter() -> None:
    r = parse(
        "Buy SPY when RSI(14) is below 30 and sell when it is above 70, only when ADX(14) is above 25"
    )
    assert r.spec is not None
    (f,) = r.spec["filters"]
    ind = ids_of(r.spec)[f["left"]["id"]]
    assert (ind["kind"], ind["window"], f["left"].get("output"), f["op"], f["right"]["value"]) == (
        "adx",
        14,
        "adx",
        ">",
        25.0,
    )


def test_sell_at_the_middle_band_is_a_band_exit_not_an_invented_stop() -> None:
    r = parse("buy AAPL when the close is below the lower Bollinger band, sell at the middle band")
    assert r.spec is not None
    ex = r.spec["exit"]
    assert ex["kind"] == "compare"
    assert ex["op"] in (">", ">=")
    assert ex["right"]["output"] == "middle"
    checked = check_spec(r.spec)
    assert checked.spec is not None
    assert checked.spec.risk.stop_loss is None
    assert not any("exit" in w.lower() and "no " in w.lower() for w in checked.warnings)


def test_buy_and_hold_comparison_sets_the_benchmark() -> None:
    r = parse(
        "Buy AAPL when RSI(14) < 30, sell when RSI > 70, compare against buying and holding SPY"
    )
    assert r.spec is not None
    assert r.spec["universe"]["symbols"] == ["AAPL"]
    assert r.spec["benchmark"] == {"symbol": "SPY"}
    assert not r.warnings


def test_risk_percent_stop_is_a_stop_not_sizing() -> None:
    r = parse("Buy QQQ when the 20 SMA crosses above the 50 SMA, risk 2% stop")
    assert r.spec is not None
    assert r.spec["risk"]["stop_loss"] == {"kind": "percent", "percent": 2.0}
    assert "sizing" not in r.spec
    assert not r.warnings


@pytest.mark.parametrize(
    ("text", "check"),
    [
        (
            "EMA 12 crosses over EMA 26 on AAPL, exit when it crosses under",
            lambda s: (
                s["entry"]["kind"] == "crosses_above"
                and s["exit"]["kind"] == "crosses_below"
                and sorted(i["window"] for i in s["indicators"]) == [12, 26]
            ),
        ),
        (
            "Buy SPY on a new 55-day high, exit on a 20-day low",
            lambda s: (
                s["entry"]["right"]["output"] == "upper"
                and s["exit"]["right"]["output"] == "lower"
                and sorted(i["window"] for i in s["indicators"]) == [20, 55]
            ),
        ),
        (
            "Buy BTC when price crosses above the 24-hour VWAP on hourly bars, sell when it crosses below",
            lambda s: (
                s["indicators"] == [{"id": "vwap_24", "kind": "vwap", "window": 24}]
                and s["universe"]["timeframe"] == "1h"
            ),
        ),
        (
            "Buy SPY when RSI(2) < 10 with a 100-day EMA filter, sell when RSI(2) > 80",
            lambda s: (
                len(s["filters"]) == 1
                and ids_of(s)[s["filters"][0]["right"]["id"]]
                == {"id": "ema_100", "kind": "ema", "window": 100}
            ),
        ),
        (
            "Buy SPY when the close is above the 50-day SMA, sell when below, target 10% annual volatility",
            lambda s: s["sizing"] == {"kind": "volatility_target", "target_vol_pct": 10.0},
        ),
        (
            "RSI 30/70 sized with quarter Kelly on SPY",
            lambda s: (
                s["sizing"] == {"kind": "kelly", "fraction": 0.25}
                and s["entry"]["right"]["value"] == 30.0
                and s["exit"]["right"]["value"] == 70.0
            ),
        ),
    ],
)
def test_frequent_phrasings(text: str, check: Any) -> None:
    _check_phrasing(text, check)


@pytest.mark.parametrize(
    ("text", "check"),
    [
        (
            "Buy SPY when RSI(14) is between 40 and 50, sell when it is above 70",
            lambda s: [c["op"] for c in s["entry"]["conditions"]] == [">", "<"],
        ),
        (
            "Buy IWM when the 20-day SMA is rising, sell when it is falling",
            lambda s: s["entry"]["right"].get("shift") == 1 and s["exit"]["op"] == "<",
        ),
        (
            "Buy SPY at the close when RSI(2) is below 5 and sell at the close when RSI(2) is above 60",
            lambda s: s["execution"] == {"fill": "close"} and s["exit"]["right"]["value"] == 60.0,
        ),
        (
            "Long ETH on 1h bars when the close is above the 20-period SMA; exit when it is below; max 48 bars",
            lambda s: s["risk"]["max_holding_bars"] == 48,
        ),
        (
            "Buy SPY when RSI(14) < 30, take half off at +5% and the rest at +10%",
            lambda s: [t["gain_pct"] for t in s["risk"]["take_profit"]] == [5.0, 10.0],
        ),
        (
            "Buy SPY when RSI(14) < 30, sell when RSI(14) > 70, from January 2010 to June 2012",
            lambda s: s["period"] == {"start": "2010-01-01", "end": "2012-06-30"},
        ),
        (
            "Enter long on MSFT if the 10-day EMA > 20-day EMA > 50-day EMA; exit if the 10-day EMA < 20-day EMA",
            lambda s: [c["right"]["id"] for c in s["entry"]["conditions"]] == ["ema_20", "ema_50"],
        ),
        (
            "Buy ETH/USDT on 1h when the 20 EMA crosses the 50 EMA from below; sell when it crosses from above",
            lambda s: (
                s["entry"]["kind"] == "crosses_above" and s["exit"]["kind"] == "crosses_below"
            ),
        ),
        (
            "Go short GLD whenever it closes 3 days in a row higher and RSI(5) > 80; cover after 5 days",
            lambda s: s["direction"] == "short" and s["entry"]["conditions"][0]["n"] == 3,
        ),
        (
            "Buy SPY when the 10-day SMA crosses above the 50-day SMA, sell when it crosses below the 50-day SMA",
            lambda s: s["exit"]["left"]["id"] == "sma_10",
        ),
        (
            "Buy SPY when RSI(14) is below 30, sell when it is above 70, only trade above the 200-day SMA",
            lambda s: s["filters"][0]["left"] == {"kind": "price", "field": "close"},
        ),
        (
            "Buy the S&P 500 when it is above its 200-day moving average, otherwise stay in cash",
            lambda s: s["exit"]["op"] == "<" and s["exit"]["right"] == s["entry"]["right"],
        ),
        (
            "Buy SPY if RSI(14) crosses back above 30 after being below it; exit if RSI(14) reaches 60",
            lambda s: s["entry"]["kind"] == "crosses_above" and s["exit"]["right"]["value"] == 60.0,
        ),
        (
            # the gateway's OpenAPI example message
            "Buy SPY when the 20-day SMA crosses above the 50-day, sell on the cross back.",
            lambda s: (
                s["entry"]["right"]["id"] == "sma_50" and s["exit"]["kind"] == "crosses_below"
            ),
        ),
        (
            "Short TSLA when it breaks below its 20-day low, cover on a 10-day high, 5% stop",
            lambda s: s["direction"] == "short" and s["exit"]["right"]["output"] == "upper",
        ),
    ],
)
def test_more_phrasing_families(text: str, check: Any) -> None:
    _check_phrasing(text, check)


def test_a_percent_distance_is_reported_as_not_supported() -> None:
    r = parse(
        "Buy AAPL when the price is 5% below the 20-day SMA, sell when it is above the 20-day SMA"
    )
    assert any("5% below the 20-day sma" in w and "not supported" in w for w in r.warnings)


def _check_phrasing(text: str, check: Any) -> None:
    r = parse(text)
    assert r.spec is not None, r.clarification
    assert check(r.spec), r.spec
    assert not [w for w in r.warnings if w.startswith("I did not understand")], r.warnings


# --------------------------------------------------------------------------------------------
# Nothing silently dropped
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "quoted"),
    [
        (
            "Buy SPY when RSI(14) is below 30 and the moon is full, sell when RSI(14) is above 70",
            "moon is full",
        ),
        ("Buy AAPL when it gaps up more than 2% at the open, sell at the close", "gaps up"),
        (
            "Buy SPY when RSI(14) is below 30 but not within 2 days of an FOMC meeting, sell above 60",
            "fomc",
        ),
        ("Buy MSFT when volume is more than twice its 20-day average, sell after 5 days", "twice"),
        ("Buy SPY every Monday and sell on Friday", "monday"),
    ],
)
def test_clauses_not_understood_are_quoted(text: str, quoted: str) -> None:
    r = parse(text)
    said = " ".join([*r.warnings, r.clarification or ""]).lower()
    assert "i did not understand" in said, (r.intent, r.warnings, r.clarification)
    assert quoted in said, (r.intent, r.warnings, r.clarification)


def test_unparsed_exit_is_reported_and_not_claimed_missing() -> None:
    r = parse("Buy SPY when RSI(14) is below 30, sell when the moon is full")
    assert r.spec is not None
    assert any("moon is full" in w for w in r.warnings)
    checked = check_spec(r.spec)
    assert not any("No exit rule was given" in w for w in checked.warnings)


def test_a_given_risk_exit_is_not_replaced_by_an_invented_signal_exit() -> None:
    r = parse("Buy SPY when the 50-day SMA crosses above the 200-day SMA, 8% trailing stop")
    assert r.spec is not None
    assert "exit" not in r.spec
    assert r.spec["risk"]["trailing_stop"] == {"percent": 8.0}


# --------------------------------------------------------------------------------------------
# Follow-ups edit the current strategy
# --------------------------------------------------------------------------------------------


BASE = "Buy SPY when RSI(14) is below 30, sell when it is above 70"


def test_add_a_200_day_trend_filter() -> None:
    base = parse(BASE).spec
    r = parse("add a 200-day trend filter", base)
    assert r.intent == "modify"
    assert r.spec is not None
    (f,) = r.spec["filters"]
    assert ids_of(r.spec)[f["right"]["id"]]["window"] == 200
    assert f["left"] == {"kind": "price", "field": "close"}
    assert f["op"] == ">"
    assert r.spec["entry"] == base["entry"]  # type: ignore[index]


def test_follow_ups_add_and_remove_filters_and_change_sizing_symbols_direction() -> None:
    spec = parse(BASE).spec
    r = parse("only trade when ADX(14) is above 25", spec)
    assert r.spec is not None
    assert len(r.spec["filters"]) == 1
    r = parse("remove the ADX filter", r.spec)
    assert r.spec is not None
    assert r.spec["filters"] == []
    r = parse("use quarter Kelly sizing", r.spec)
    assert r.spec is not None
    assert r.spec["sizing"] == {"kind": "kelly", "fraction": 0.25}
    r = parse("trade AAPL and MSFT instead", r.spec)
    assert r.spec is not None
    assert r.spec["universe"]["symbols"] == ["AAPL", "MSFT"]
    r = parse("remove MSFT", r.spec)
    assert r.spec is not None
    assert r.spec["universe"]["symbols"] == ["AAPL"]
    r = parse("since 2008", r.spec)
    assert r.spec is not None
    assert r.spec["period"]["start"] == "2008-01-01"
    r = parse("make it short", r.spec)
    assert r.spec is not None
    assert r.spec["direction"] == "short"
    assert r.spec["entry"]["op"] == ">"
    assert r.spec["entry"]["right"]["value"] == 70.0
    assert any("mean-reversion" in w for w in r.warnings)


def test_a_message_that_changes_nothing_says_what_it_did_not_understand() -> None:
    base = parse(BASE).spec
    r = parse("make it more awesome", base)
    assert any("did not understand" in w for w in r.warnings)


# --------------------------------------------------------------------------------------------
# Conversations (PostgreSQL)
# --------------------------------------------------------------------------------------------


async def chat(
    client: httpx.AsyncClient, user: uuid.UUID, message: str, conversation: str | None = None
) -> dict[str, Any]:
    body: dict[str, Any] = {"message": message}
    if conversation:
        body["conversation_id"] = conversation
    r = await client.post("/chat", json=body, headers=headers(user))
    assert r.status_code == 200, r.text
    out: dict[str, Any] = r.json()
    return out


async def test_three_turn_clarification_completes_a_strategy(
    client: httpx.AsyncClient, make_user: Any
) -> None:
    user = await make_user()
    first = await chat(client, user, "I want a mean reversion strategy")
    assert first["intent"] == "clarify"
    assert first["spec"] is None
    conv = first["conversation_id"]
    second = await chat(
        client, user, "buy when RSI(14) is below 30 and sell when it is above 70", conv
    )
    assert second["intent"] == "clarify"
    assert second["spec"] is None
    assert "symbol" in second["clarification"].lower()
    third = await chat(client, user, "SPY", conv)
    assert third["intent"] == "new", third["reply"]
    spec = third["spec"]
    assert spec["universe"]["symbols"] == ["SPY"]
    assert spec["entry"]["op"] == "<"
    assert spec["entry"]["right"]["value"] == 30.0
    assert spec["exit"]["op"] == ">"
    assert spec["exit"]["right"]["value"] == 70.0
    assert third["conversation_id"] == conv


async def test_symbol_first_then_rules(client: httpx.AsyncClient, make_user: Any) -> None:
    user = await make_user()
    first = await chat(client, user, "I'd like to trade AAPL")
    assert first["intent"] == "clarify"
    second = await chat(
        client,
        user,
        "buy when the 20-day SMA crosses above the 50-day SMA",
        first["conversation_id"],
    )
    assert second["intent"] == "new", second["reply"]
    assert second["spec"]["universe"]["symbols"] == ["AAPL"]


async def test_add_a_trend_filter_in_the_conversation(
    client: httpx.AsyncClient, make_user: Any
) -> None:
    user = await make_user()
    first = await chat(client, user, BASE)
    second = await chat(client, user, "add a 200-day trend filter", first["conversation_id"])
    assert second["intent"] == "modify"
    assert second["version"] == 2
    assert any(d["path"].startswith("filters") for d in second["diff"]), second["diff"]
    assert "Nothing changed" not in second["reply"]


async def test_an_unknown_symbol_creates_nothing_and_offers_matches(
    client: httpx.AsyncClient, make_user: Any
) -> None:
    user = await make_user()
    before = await client.get("/strategies", headers=headers(user))
    assert before.json()["items"] == []
    body = await chat(client, user, "Buy AAPLX when RSI(14) is below 30, sell when it is above 70")
    assert body["intent"] == "clarify"
    assert body["spec"] is None
    assert body["strategy_id"] is None
    assert "AAPLX" in body["reply"]
    assert "AAPL" in body["clarification"].replace("AAPLX", "")
    after = await client.get("/strategies", headers=headers(user))
    assert after.json()["items"] == []
    # the answer completes the request with the right symbol
    fixed = await chat(client, user, "use AAPL", body["conversation_id"])
    assert fixed["intent"] == "new", fixed["reply"]
    assert fixed["spec"]["universe"]["symbols"] == ["AAPL"]
    assert fixed["spec"]["entry"]["right"]["value"] == 30.0


async def test_an_edit_to_an_unknown_symbol_keeps_the_strategy(
    client: httpx.AsyncClient, make_user: Any
) -> None:
    user = await make_user()
    first = await chat(client, user, BASE)
    second = await chat(client, user, "trade QQQZ instead", first["conversation_id"])
    assert second["spec"] is None
    assert "QQQZ" in second["reply"]
    got = await client.get(f"/strategies/{first['strategy_id']}", headers=headers(user))
    assert got.json()["current_version"] == 1
    assert got.json()["spec"]["universe"]["symbols"] == ["SPY"]


async def test_an_edited_spec_with_an_unknown_symbol_is_refused(
    client: httpx.AsyncClient, make_user: Any
) -> None:
    user = await make_user()
    first = await chat(client, user, BASE)
    edited = dict(first["spec"], universe={**first["spec"]["universe"], "symbols": ["QQQZ"]})
    r = await client.put(
        f"/strategies/{first['strategy_id']}", json={"spec": edited}, headers=headers(user)
    )
    assert r.status_code == 422
    assert r.headers["content-type"] == "application/problem+json"
    assert "QQQZ" in r.json()["detail"]
    got = await client.get(f"/strategies/{first['strategy_id']}", headers=headers(user))
    assert got.json()["current_version"] == 1


async def test_the_words_panel_edits_the_open_strategy(
    client: httpx.AsyncClient, make_user: Any
) -> None:
    user = await make_user()
    first = await chat(client, user, BASE)
    sid = first["strategy_id"]
    r = await client.post(
        "/chat",
        json={"message": "add a 200-day trend filter", "strategy_id": sid},
        headers=headers(user),
    )
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["intent"] == "modify"
    assert body["strategy_id"] == sid
    assert body["version"] == 2
    assert body["conversation_id"] != first["conversation_id"]
    # a full description in the panel is a new version of the same strategy, not a new one
    r = await client.post(
        "/chat",
        json={
            "message": "Buy QQQ when RSI(14) is below 25, sell when it is above 60",
            "strategy_id": sid,
        },
        headers=headers(user),
    )
    assert r.json()["strategy_id"] == sid
    assert r.json()["version"] == 3
    listed = (await client.get("/strategies", headers=headers(user))).json()
    assert [s["id"] for s in listed["items"]] == [sid]
    other = await make_user()
    denied = await client.post(
        "/chat", json={"message": "make the stop 3%", "strategy_id": sid}, headers=headers(other)
    )
    assert denied.status_code == 404


def test_a_clarifying_question_repeats_what_was_understood() -> None:
    r = parse("buy when RSI(14) is below 30 and sell when it is above 70")
    assert r.intent == "clarify"
    assert r.clarification is not None
    assert "So far I have: Entry: the 14-bar RSI is below 30. Exit:" in r.clarification
    assert "symbol" in r.clarification


async def test_levels_answered_after_an_rsi_question_apply_to_the_rsi(
    client: httpx.AsyncClient, make_user: Any
) -> None:
    user = await make_user()
    first = await chat(client, user, "RSI strategy on SPY")
    assert first["intent"] == "clarify"
    second = await chat(client, user, "buy below 30 and sell above 70", first["conversation_id"])
    assert second["intent"] == "new", second["reply"]
    spec = second["spec"]
    assert spec["indicators"] == [
        {"id": "rsi_14", "kind": "rsi", "source": "close", "window": 14, "symbol": None}
    ]
    assert spec["entry"]["left"]["id"] == "rsi_14"


def test_a_partly_understood_edit_quotes_the_rest() -> None:
    base = parse(BASE).spec
    r = parse("make the stop 3% and paint it blue", base)
    assert r.spec is not None
    assert r.spec["risk"]["stop_loss"]["percent"] == 3.0
    assert r.warnings == ["I did not understand: 'paint it blue'."]


def test_approximations_are_said() -> None:
    r = parse("Buy SPY when RSI(14) < 30, sell when RSI(14) > 70, 3 ATR trailing stop")
    assert r.spec is not None
    assert r.spec["risk"]["stop_loss"]["kind"] == "atr"
    assert any("trailing stops are by percent only" in w for w in r.warnings)
    r = parse("Buy SPY when RSI(14) < 30, sell when RSI(14) > 70, risk 1% of equity per trade")
    assert r.spec is not None
    assert any("Risk-based sizing" in a for a in r.assumptions)
    r = parse("Buy SPY when RSI(14) < 30, sell when RSI(14) > 70, using limit orders")
    assert any("limit orders" in w and "not supported" in w for w in r.warnings)


async def test_a_complete_new_request_after_a_question_stands_alone(
    client: httpx.AsyncClient, make_user: Any
) -> None:
    user = await make_user()
    first = await chat(client, user, "I'd like to trade AAPL")
    assert first["intent"] == "clarify"
    second = await chat(client, user, BASE, first["conversation_id"])
    assert second["intent"] == "new"
    assert second["spec"]["universe"]["symbols"] == ["SPY"]


@pytest.mark.parametrize(
    ("text", "negated"),
    [
        ("Buy SPY when RSI(14) < 30 unless VIX is above 40, sell when RSI(14) > 70", True),
        (
            "Buy SPY when RSI(14) < 30, but never when ADX(14) is above 40, sell when RSI(14) > 70",
            True,
        ),
        (
            "Buy SPY when RSI(14) < 30 but not when ADX(14) is above 30, sell when RSI(14) > 70",
            True,
        ),
        (
            "Buy SPY when RSI(14) < 30 except when the close is below the 200-day SMA, sell when RSI(14) > 70",
            True,
        ),
        (
            "Buy SPY when RSI(14) < 30 as long as the close is above the 200-day SMA, sell when RSI(14) > 70",
            False,
        ),
    ],
)
def test_conditions_joined_by_unless_and_as_long_as(text: str, negated: bool) -> None:
    r = parse(text)
    assert r.spec is not None
    first, second = r.spec["entry"]["conditions"]
    assert first["left"]["id"] == "rsi_14"
    assert (second["kind"] == "not") is negated
    assert not r.warnings


def test_an_unused_tail_of_a_comparison_is_reported() -> None:
    r = parse("Buy SPY when RSI(14) is above 30 if the market is calm, sell when RSI(14) > 70")
    assert any("market is calm" in w for w in r.warnings)


def test_an_edit_the_strategy_already_has_says_so() -> None:
    base = parse(BASE + ", 3% stop, only trade above the 200-day SMA").spec
    r = parse("use a 3% stop loss and only trade above the 200-day SMA", base)
    assert r.spec == base
    assert r.warnings == [
        "The strategy already does what 'use a 3% stop loss and only trade above the 200-day SMA' asks: nothing changed."
    ]


def test_basket_weights_and_rotation() -> None:
    r = parse(
        "Buy a basket of AAPL, MSFT and NVDA with 40/30/30 weights when the close is above the 50-day SMA, sell below it"
    )
    assert r.spec is not None
    assert r.spec["universe"]["weights"] == {"AAPL": 0.4, "MSFT": 0.3, "NVDA": 0.3}
    assert not r.warnings
    r = parse("Rotate between SPY and TLT: hold SPY when its 200-day SMA is rising, otherwise TLT")
    assert r.spec is None
    assert any("rotation between assets" in w for w in r.warnings)


def test_words_before_the_subject_are_reported() -> None:
    r = parse(
        "Buy SPY when RSI(14) < 30 and the moon phase says go when the close is above the 50-day SMA, sell when RSI(14) > 70"
    )
    assert any("moon phase" in w for w in r.warnings)


@pytest.mark.parametrize(
    ("clause", "why"),
    [
        ("take profit at 3 ATR", "ATR-based take-profit"),
        ("no more than 3 trades per month", "number of trades"),
        ("max drawdown 20%", "drawdown limit"),
    ],
)
def test_risk_clauses_that_cannot_be_expressed(clause: str, why: str) -> None:
    r = parse(f"Buy SPY when RSI(14) < 30, sell when RSI(14) > 70, {clause}")
    assert r.spec is not None
    assert r.spec["exit"] == {
        "kind": "compare",
        "left": {"kind": "indicator", "id": "rsi_14"},
        "op": ">",
        "right": {"kind": "const", "value": 70.0},
    }
    assert any(why in w and clause.lower() in w for w in r.warnings), r.warnings


def test_a_band_exit_after_an_oscillator_entry_reads_the_close() -> None:
    r = parse("Buy SPY when RSI(2) < 10, sell at the upper Bollinger band")
    assert r.spec is not None
    assert r.spec["exit"]["left"] == {"kind": "price", "field": "close"}
    assert r.spec["exit"]["right"]["output"] == "upper"
