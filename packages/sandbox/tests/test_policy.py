"""Static policy and runtime guard units (no child process)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from vt_sandbox import check_code
from vt_sandbox.guards import (
    CappedPrint,
    GuardError,
    OutputTooLarge,
    guarded_getattr,
    guarded_getitem,
    guarded_write,
    make_import,
    preload_modules,
)

OK = "def generate_signals(data, params):\n    return data.close > 0, data.close < 0\n"


def codes(src: str) -> set[str]:
    return {v.code for v in check_code(src).violations}


def test_clean_code_passes() -> None:
    assert check_code(OK).ok


@pytest.mark.parametrize(
    ("snippet", "code"),
    [
        ("x = (i for i in [1])", "forbidden_syntax"),
        ("try:\n        pass\n    except Exception:\n        pass", "forbidden_syntax"),
        ("x = data.__class__", "underscore_attribute"),
        ("x = 'a__b'", "dunder_string"),
        ("x = eval", "forbidden_name"),
        ("x = data.to_csv", "forbidden_attribute"),
        ("x = 2 ** 5000", "huge_power"),
        ("x = 2 ** 3 ** 4", "huge_power"),
        ("x = os", "unknown_name"),
        ("data.close = 1", "attribute_write"),
        ("del len", "forbidden_delete"),
        ("global x", "forbidden_syntax"),
    ],
)
def test_violation_codes(snippet: str, code: str) -> None:
    src = f"def generate_signals(data, params):\n    {snippet}\n    return data, data\n"
    report = check_code(src)
    assert code in {v.code for v in report.violations}, report.summary()
    assert all(v.line >= 1 for v in report.violations)


def test_imports() -> None:
    assert check_code("import numpy as np\nimport pandas as pd\nimport math\n" + OK).ok
    assert check_code("from numpy import where, nan\n" + OK).ok
    assert check_code("from vt_engine import indicators\n" + OK).ok
    assert check_code("import vt_engine.indicators as ind\nx = ind.sma\n" + OK).ok
    assert check_code("from vt_engine.indicators import sma, ema\n" + OK).ok
    assert "forbidden_import" in codes("import os\n" + OK)
    assert "forbidden_import" in codes("from numpy import load\n" + OK)
    assert "forbidden_import" in codes("from numpy import *\n" + OK)
    assert "forbidden_attribute" in codes("import numpy as np\nx = np.load\n" + OK)
    assert "forbidden_import" in codes("from . import x\n" + OK)


def test_non_ascii_identifiers_are_named() -> None:
    report = check_code("def generate_signals(data, params):\n    ｅｖａｌ('1')\n")
    messages = " ".join(v.message for v in report.violations)
    assert "non-ASCII" in messages
    assert "'eval'" in messages


def test_missing_entry_point_and_size() -> None:
    assert "missing_entry_point" in codes("x = 1\n")
    assert "too_large" in codes("x = 1\n" * 20_000)
    assert "syntax_error" in codes("def (:\n")
    # Pathological nesting is refused, never crashes the (parent) process.
    assert not check_code("x = " + "(" * 5000 + ")" * 5000).ok
    assert not check_code("x = " + "-" * 20_000 + "1\n" + OK).ok


def test_getattr_guard() -> None:
    series = pd.Series([1.0, 2.0, 3.0])
    assert guarded_getattr(series, "values") is not None
    with pytest.raises(GuardError):
        guarded_getattr(series, "to_csv")
    with pytest.raises(GuardError):
        guarded_getattr(series, "__class__")
    with pytest.raises(GuardError):
        guarded_getattr(pd.Series, "rolling")  # attributes of classes
    with pytest.raises(GuardError):
        guarded_getattr(np, "load")
    with pytest.raises(GuardError):
        guarded_getattr(pd, "io")
    with pytest.raises(GuardError):
        guarded_getattr(len, "name")
    assert guarded_getattr(np, "where") is np.where


def test_method_wrappers() -> None:
    series = pd.Series([1.0, 2.0, 3.0])
    apply = guarded_getattr(series, "apply")
    assert callable(apply)
    assert list(apply(lambda v: v * 2)) == [2.0, 4.0, 6.0]  # type: ignore[operator]
    with pytest.raises(GuardError):
        apply("to_csv")  # type: ignore[operator]
    astype = guarded_getattr(series, "astype")
    assert astype(bool).dtype == bool  # type: ignore[operator]
    with pytest.raises(GuardError):
        astype("object")  # type: ignore[operator]
    rolling = guarded_getattr(series, "rolling")
    mean = guarded_getattr(rolling(2), "mean")  # type: ignore[operator]
    with pytest.raises(GuardError):
        mean(engine="numba")  # type: ignore[operator]
    with pytest.raises(GuardError):
        mean(False, "numba")  # type: ignore[operator]  # positional engine
    assert list(mean().fillna(0)) == [0.0, 1.5, 2.5]  # type: ignore[operator]
    # indexers stay subscriptable
    assert guarded_getitem(guarded_getattr(series, "iloc"), 0) == 1.0


def test_write_guard() -> None:
    frame = pd.DataFrame({"a": [1.0]})
    guarded_write(frame)["b"] = 2.0  # type: ignore[index]
    assert list(frame.columns) == ["a", "b"]
    with pytest.raises(GuardError):
        guarded_write(np)
    with pytest.raises(GuardError):
        guarded_write(pd.Series)
    writer = guarded_write([1])
    with pytest.raises(GuardError):
        writer.append = None  # type: ignore[attr-defined]


def test_import_guard() -> None:
    imp = make_import(preload_modules(with_indicators=False))
    assert imp("numpy") is np
    with pytest.raises(GuardError):
        imp("os")
    with pytest.raises(GuardError):
        imp("numpy", None, None, ("load",))
    with pytest.raises(GuardError):
        imp("vt_engine.indicators")  # not preloaded -> "not available in this sandbox"


def test_capped_print() -> None:
    printer = CappedPrint(10)
    printer._call_print("abc")
    assert printer() == "abc\n"
    with pytest.raises(OutputTooLarge):
        printer._call_print("x" * 20)
    with pytest.raises(GuardError):
        printer._call_print("x", file=None)


def test_indicator_module_exposes_only_its_own_functions() -> None:
    import os
    import types

    fake = types.ModuleType("vt_engine.indicators")

    def sma(values: object, n: int) -> object:
        return values

    sma.__module__ = "vt_engine.indicators"
    fake.sma = sma  # type: ignore[attr-defined]
    fake.os = os  # type: ignore[attr-defined]  # a re-exported module must not leak
    fake.helper = len  # type: ignore[attr-defined]  # not a vt_engine function
    assert guarded_getattr(fake, "sma") is sma
    for name in ("os", "helper", "missing"):
        with pytest.raises(GuardError):
            guarded_getattr(fake, name)
    imp = make_import({"vt_engine.indicators": fake})
    assert imp("vt_engine.indicators", None, None, ("sma",)) is fake
    with pytest.raises(GuardError):
        imp("vt_engine.indicators", None, None, ("os",))
