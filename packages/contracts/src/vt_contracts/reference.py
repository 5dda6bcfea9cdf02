"""Render the StrategySpec reference (docs/strategy-spec.md) from the model's own descriptions."""

from __future__ import annotations

from typing import Any

from vt_contracts.strategy import INDICATOR_OUTPUTS, StrategySpec

HEADER = """# StrategySpec v1 reference

Generated from `vt_contracts.StrategySpec` by `make gen` — do not edit by hand. The same
descriptions reach the OpenAPI document, the front end's types and the LLM prompt. The JSON
Schema is committed at `packages/contracts/schemas/strategy_spec.v1.json` and served at
`GET /api/v1/schemas/strategy`.

## Example

```json
{
  "name": "AAPL 20/50 SMA crossover with a 5% stop",
  "universe": {"symbols": ["SAMPLE:AAPL"], "market": "us_equity", "timeframe": "1d"},
  "period": {"start": "2005-01-01", "end": "2012-12-31"},
  "indicators": [
    {"kind": "sma", "id": "fast", "window": 20},
    {"kind": "sma", "id": "slow", "window": 50}
  ],
  "entry": {"kind": "crosses_above", "left": {"kind": "indicator", "id": "fast"}, "right": {"kind": "indicator", "id": "slow"}},
  "exit": {"kind": "crosses_below", "left": {"kind": "indicator", "id": "fast"}, "right": {"kind": "indicator", "id": "slow"}},
  "risk": {"stop_loss": {"kind": "percent", "percent": 5}}
}
```

Everything omitted takes its default: long only, all-in sizing, 0.1% commission and 0.05%
slippage, decisions on the close of bar t filled at the open of bar t+1, buy-and-hold benchmark,
100,000 starting capital.
"""


def _type_of(prop: dict[str, Any]) -> str:
    if "$ref" in prop:
        ref: str = prop["$ref"]
        return "`" + ref.rsplit("/", 1)[-1] + "`"
    if "const" in prop:
        return f"`{prop['const']!r}`"
    if "enum" in prop:
        return " \\| ".join(f"`{v}`" for v in prop["enum"])
    if "anyOf" in prop:
        return " or ".join(_type_of(p) for p in prop["anyOf"])
    if "oneOf" in prop:
        return " or ".join(_type_of(p) for p in prop["oneOf"])
    kind = prop.get("type", "any")
    if kind == "array":
        return f"list of {_type_of(prop.get('items', {}))}"
    if kind == "object" and "additionalProperties" in prop:
        return f"map to {_type_of(prop['additionalProperties'])}"
    return f"`{kind}`"


def _bounds(prop: dict[str, Any]) -> str:
    parts = []
    for key, sign in (
        ("minimum", ">="),
        ("exclusiveMinimum", ">"),
        ("maximum", "<="),
        ("exclusiveMaximum", "<"),
    ):
        if key in prop:
            parts.append(f"{sign} {prop[key]}")
    return ", ".join(parts)


def _table(schema: dict[str, Any]) -> list[str]:
    rows = ["| field | type | default | meaning |", "|---|---|---|---|"]
    required = set(schema.get("required", []))
    for name, prop in schema.get("properties", {}).items():
        default = (
            "required"
            if name in required
            else (f"`{prop['default']!r}`" if "default" in prop else "")
        )
        meaning = prop.get("description", "").replace("|", "\\|").replace("\n", " ")
        bounds = _bounds(prop)
        if bounds:
            meaning = f"{meaning} ({bounds})" if meaning else f"({bounds})"
        rows.append(f"| `{name}` | {_type_of(prop)} | {default} | {meaning} |")
    return rows


def render_reference() -> str:
    schema = StrategySpec.model_json_schema()
    defs: dict[str, Any] = schema.get("$defs", {})
    lines = [
        HEADER,
        "## StrategySpec",
        "",
        schema.get("description", "").strip(),
        "",
        *_table(schema),
        "",
    ]
    lines += ["## Indicator outputs", "", "| kind | outputs (first is the default) |", "|---|---|"]
    lines += [
        f"| `{kind}` | {', '.join(f'`{o}`' for o in outs)} |"
        for kind, outs in INDICATOR_OUTPUTS.items()
    ]
    lines.append("")
    for name in sorted(defs):
        d = defs[name]
        lines += [f"## {name}", ""]
        if d.get("description"):
            lines += [d["description"].strip(), ""]
        if "properties" in d:
            lines += [*_table(d), ""]
        elif "enum" in d:
            lines += ["One of " + ", ".join(f"`{v}`" for v in d["enum"]) + ".", ""]
    return "\n".join(lines).rstrip() + "\n"
