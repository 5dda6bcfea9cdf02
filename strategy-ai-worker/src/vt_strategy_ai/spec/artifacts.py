"""What travels with a validated spec: generated code, its safety report, and the diff against
the previous version."""

from __future__ import annotations

from typing import Any

from vt_contracts import StrategySpec
from vt_sandbox import check_code
from vt_strategy_ai.schemas import DiffEntry, SafetyReport, Violation
from vt_strategy_ai.spec.codegen import CodegenUnsupported, generate_code


def _periods_per_year(spec: StrategySpec) -> float | None:
    try:
        from vt_engine.timing import periods_per_year
    except ImportError:  # pragma: no cover - engine always installed in the workspace
        return None
    return float(periods_per_year(spec.universe.market, spec.universe.timeframe))


def code_and_safety(spec: StrategySpec) -> tuple[str | None, SafetyReport]:
    """Generate the code for a spec and run the sandbox's static checks on it."""
    try:
        code = generate_code(spec, _periods_per_year(spec))
    except CodegenUnsupported as exc:
        return None, SafetyReport(
            ok=True,
            code_generated=False,
            note=f"No standalone code: {exc}. The backtest engine compiles this spec directly; nothing user-written runs.",
        )
    report = check_code(code)
    violations = [
        Violation(line=v.line, col=v.col, code=v.code, message=v.message) for v in report.violations
    ]
    return code, SafetyReport(
        ok=report.ok,
        code_generated=True,
        violations=violations,
        note=None
        if report.ok
        else "The generated code failed the static checks; it will not be run. Please report this.",
    )


def check_user_code(source: str) -> SafetyReport:
    """Static checks for code a user pasted or a model proposed (same sandbox as any custom code)."""
    report = check_code(source)
    return SafetyReport(
        ok=report.ok,
        code_generated=False,
        generated_from_spec=False,
        user_text_in_code=True,
        violations=[
            Violation(line=v.line, col=v.col, code=v.code, message=v.message)
            for v in report.violations
        ],
        note="Custom code runs only in the sandbox (static policy, RestrictedPython, isolated process).",
    )


_MISSING = object()


def diff_specs(old: dict[str, Any] | None, new: dict[str, Any]) -> list[DiffEntry]:
    """Field paths that differ, old -> new (lists of scalars/objects compared index by index)."""
    if old is None:
        return []
    out: list[DiffEntry] = []

    def walk(a: Any, b: Any, path: str) -> None:
        if isinstance(a, dict) and isinstance(b, dict):
            if a.get("kind") != b.get("kind") and ("kind" in a or "kind" in b):
                out.append(DiffEntry(path=path or "spec", old=a, new=b))
                return
            for key in sorted(set(a) | set(b)):
                walk(a.get(key, _MISSING), b.get(key, _MISSING), f"{path}.{key}" if path else key)
            return
        if isinstance(a, list) and isinstance(b, list) and len(a) == len(b):
            for i, (x, y) in enumerate(zip(a, b, strict=True)):
                walk(x, y, f"{path}[{i}]")
            return
        if a != b:
            out.append(
                DiffEntry(
                    path=path,
                    old=None if a is _MISSING else a,
                    new=None if b is _MISSING else b,
                )
            )

    walk(old, new, "")
    return out
