"""Builders and the comparison used by the blind prompt sets (`ai_blind_set_*.py`).

A blind set is written from docs/strategy-spec.md alone, by someone who has not read the
parser; its cases are never used to tune the parser. The comparison is semantic: indicators
are compared by definition (kind and parameters, defaults filled by `vt_contracts`), not by
id; `a < b` equals `b > a`, `crosses_below(a, b)` equals `crosses_above(b, a)`, `>=` equals
`>`; AND/OR are order-insensitive; for long-only or short-only strategies an entry conjunct
and a regime filter are the same thing (filters only gate entries).
"""

from __future__ import annotations

from typing import Any

from vt_contracts.strategy import StrategySpec

# --------------------------------------------------------------------------------------------
# Builders (produce StrategySpec JSON fragments)
# --------------------------------------------------------------------------------------------

Json = dict[str, Any]


def ind(kind: str, id_: str, **params: Any) -> Json:
    return {"kind": kind, "id": id_, **params}


def op_ind(id_: str, output: str | None = None, shift: int = 0) -> Json:
    out: Json = {"kind": "indicator", "id": id_, "shift": shift}
    if output is not None:
        out["output"] = output
    return out


def price(field: str = "close", shift: int = 0) -> Json:
    return {"kind": "price", "field": field, "shift": shift}


def const(v: float) -> Json:
    return {"kind": "const", "value": v}


def _o(x: Any) -> Json:
    if isinstance(x, int | float):
        return const(float(x))
    if isinstance(x, str):
        if x in ("close", "open", "high", "low", "volume"):
            return price(x)
        out = x.split(".", 1)
        return op_ind(out[0], out[1] if len(out) > 1 else None)
    assert isinstance(x, dict)
    return x


def gt(a: Any, b: Any) -> Json:
    return {"kind": "compare", "left": _o(a), "op": ">", "right": _o(b)}


def lt(a: Any, b: Any) -> Json:
    return {"kind": "compare", "left": _o(a), "op": "<", "right": _o(b)}


def xa(a: Any, b: Any) -> Json:
    return {"kind": "crosses_above", "left": _o(a), "right": _o(b)}


def xb(a: Any, b: Any) -> Json:
    return {"kind": "crosses_below", "left": _o(a), "right": _o(b)}


def all_(*c: Json) -> Json:
    return {"kind": "all", "conditions": list(c)}


def any_(*c: Json) -> Json:
    return {"kind": "any", "conditions": list(c)}


def for_n(c: Json, n: int) -> Json:
    return {"kind": "for_n_bars", "condition": c, "n": n}


def case(prompt: str, symbols: list[str], indicators: list[Json], **expect: Any) -> Json:
    """One blind case: the prompt and the parts of the spec it must produce.

    Keys of `expect` are StrategySpec fields (entry, exit, filters, direction, sizing, risk,
    benchmark, period, costs, execution, initial_capital, scale_in, pair, short_entry,
    short_exit) plus `market`, `timeframe`, `alt` (a list of override dicts, any of which may
    match instead) and `unsupported` (a word that must appear in the reply's warnings when
    the prompt asks for something StrategySpec cannot express). A field left out is expected
    at its default, except `risk`: `"*"` accepts any risk block (the parser adds a protective
    stop when the user gave no exit), and `period`, which is only checked when given.
    """
    return {"prompt": prompt, "symbols": symbols, "indicators": indicators, "expect": expect}


# --------------------------------------------------------------------------------------------
# Normalisation
# --------------------------------------------------------------------------------------------

_PRICE_FIELDS = ("open", "high", "low", "close", "volume")


def _sym(s: str) -> str:
    s = s.strip().upper()
    if s.startswith("SAMPLE:"):
        s = s[len("SAMPLE:") :]
    return s


def _first_output(kind: str) -> str | None:
    return {
        "macd": "macd",
        "bbands": "upper",
        "adx": "adx",
        "stoch": "k",
        "donchian": "upper",
        "spread_zscore": "zscore",
    }.get(kind)


def _operand(o: dict[str, Any], inds: dict[str, dict[str, Any]]) -> tuple[Any, ...]:
    if o["kind"] == "const":
        return ("const", round(float(o["value"]), 6))
    if o["kind"] == "price":
        return ("price", o.get("field", "close"), o.get("shift", 0))
    d = dict(inds[o["id"]])
    kind = d.pop("kind")
    d.pop("id", None)
    if d.get("symbol"):
        d["symbol"] = _sym(d["symbol"])
    for k in ("leg_a", "leg_b"):
        if d.get(k):
            d[k] = _sym(d[k])
    output = o.get("output") or _first_output(kind)
    if output == "value":
        output = None
    params = tuple(sorted((k, v) for k, v in d.items() if v is not None))
    return ("ind", kind, params, output, o.get("shift", 0))


def _cond(c: dict[str, Any], inds: dict[str, dict[str, Any]]) -> tuple[Any, ...]:
    k = c["kind"]
    if k == "compare":
        a, b = _operand(c["left"], inds), _operand(c["right"], inds)
        op = c["op"]
        if op in ("<", "<="):
            a, b, op = b, a, ">"
        elif op == ">=":
            op = ">"
        return ("cmp", op, a, b)
    if k == "crosses_above":
        return ("cross", _operand(c["left"], inds), _operand(c["right"], inds))
    if k == "crosses_below":
        return ("cross", _operand(c["right"], inds), _operand(c["left"], inds))
    if k in ("all", "any"):
        parts: list[tuple[Any, ...]] = []
        for sub in c["conditions"]:
            n = _cond(sub, inds)
            if n[0] == k:
                parts.extend(n[1])
            else:
                parts.append(n)
        if len(parts) == 1:
            return parts[0]
        return (k, tuple(sorted(set(parts), key=repr)))
    if k == "not":
        return ("not", _cond(c["condition"], inds))
    if k == "for_n_bars":
        return ("for_n", c["n"], _cond(c["condition"], inds))
    raise ValueError(k)


def _conjuncts(c: tuple[Any, ...] | None) -> frozenset[tuple[Any, ...]]:
    if c is None:
        return frozenset()
    if c[0] == "all":
        return frozenset(c[1])
    return frozenset([c])


def normalise(spec: dict[str, Any]) -> dict[str, Any]:
    """The comparable features of a (valid) StrategySpec."""
    s = StrategySpec.model_validate(spec).model_dump(mode="json")
    inds = {i["id"]: i for i in s["indicators"]}

    def cond(name: str) -> tuple[Any, ...] | None:
        c = s.get(name)
        return None if c is None else _cond(c, inds)

    filters = [_cond(f, inds) for f in s["filters"]]
    out: dict[str, Any] = {
        "symbols": sorted(_sym(x) for x in s["universe"]["symbols"]),
        "market": s["universe"]["market"],
        "timeframe": s["universe"]["timeframe"],
        "direction": s["direction"],
        "exit": cond("exit"),
        "short_exit": cond("short_exit"),
        "sizing": s["sizing"],
        "scale_in": sorted((x["move_pct"], x["fraction"]) for x in s["scale_in"]),
        "benchmark": _sym(s["benchmark"]["symbol"]) if s["benchmark"]["symbol"] else None,
        "costs": s["costs"],
        "initial_capital": s["initial_capital"],
        "fill": s["execution"]["fill"],
        "pair": (
            None if s["pair"] is None else (_sym(s["pair"]["leg_a"]), _sym(s["pair"]["leg_b"]))
        ),
        "period": s["period"],
    }
    risk = dict(s["risk"])
    tps = [dict(t) for t in risk.get("take_profit") or []]
    if tps:
        tps[-1]["fraction"] = 1.0
    risk["take_profit"] = tps
    out["risk"] = risk
    if s["direction"] == "both":
        out["entry"] = _conjuncts(cond("entry"))
        out["short_entry"] = _conjuncts(cond("short_entry"))
        out["filters"] = frozenset(filters)
    else:
        entry = set(_conjuncts(cond("entry")))
        for f in filters:
            entry |= _conjuncts(f)
        out["entry"] = frozenset(entry)
        out["short_entry"] = None
        out["filters"] = frozenset()
    return out


def expected_spec(c: dict[str, Any], overrides: dict[str, Any] | None = None) -> dict[str, Any]:
    e = {**c["expect"], **(overrides or {})}
    spec: dict[str, Any] = {
        "name": "blind",
        "universe": {
            "symbols": c["symbols"],
            "market": e.get("market", "us_equity"),
            "timeframe": e.get("timeframe", "1d"),
        },
        "indicators": c["indicators"],
        "entry": e["entry"],
    }
    for key in (
        "exit",
        "filters",
        "direction",
        "sizing",
        "benchmark",
        "costs",
        "execution",
        "initial_capital",
        "scale_in",
        "pair",
        "short_entry",
        "short_exit",
        "period",
    ):
        if key in e:
            spec[key] = e[key]
    if e.get("risk") not in (None, "*"):
        spec["risk"] = e["risk"]
    return spec


def compare(c: dict[str, Any], got: dict[str, Any] | None) -> list[str]:
    """Differences between the parser's spec and the expected one (empty = fully right)."""
    if got is None:
        return ["no spec"]
    try:
        g = normalise(got)
    except Exception as exc:
        return [f"invalid spec: {exc}"]
    best: list[str] | None = None
    for overrides in [None, *c["expect"].get("alt", [])]:
        w = normalise(expected_spec(c, overrides))
        e = {**c["expect"], **(overrides or {})}
        diffs = []
        for key, want in w.items():
            if key == "risk" and e.get("risk") == "*":
                continue
            if key == "period" and "period" not in e:
                continue
            if g[key] != want:
                diffs.append(f"{key}: got {g[key]!r}, want {want!r}")
        if not diffs:
            return []
        if best is None or len(diffs) < len(best):
            best = diffs
    return best or []
