"""Wrong outputs and broken code produce clear, specific errors."""

from __future__ import annotations

from collections.abc import Iterator

import pandas as pd
import pytest

from vt_sandbox import SandboxError, SandboxLimits, run_strategy

from .support import Prefetch, make_ohlcv

DATA = make_ohlcv(2500)

CASES: dict[str, tuple[str, str, str]] = {
    "wrong_length": (
        "def generate_signals(data, params):\n    return data.close.iloc[1:] > 0, data.close > 0\n",
        "bad_output",
        "entries has 2,499 values but data has 2,500 bars",
    ),
    "non_boolean": (
        "def generate_signals(data, params):\n    return data.close, data.close > 0\n",
        "bad_output",
        "values other than True/False",
    ),
    "nan_values": (
        "def generate_signals(data, params):\n"
        "    s = (data.close > data.close.rolling(5).mean()).shift(1)\n"
        "    return s, data.close > 0\n",
        "bad_output",
        "fillna(False)",
    ),
    "wrong_type": (
        "def generate_signals(data, params):\n    return 42\n",
        "bad_output",
        "not int",
    ),
    "wrong_tuple": (
        "def generate_signals(data, params):\n    return data.close > 0,\n",
        "bad_output",
        "tuple of 1 items",
    ),
    "dict_missing_exits": (
        "def generate_signals(data, params):\n    return {'entries': data.close > 0}\n",
        "bad_output",
        "missing exits",
    ),
    "dict_unknown_key": (
        "def generate_signals(data, params):\n"
        "    return {'entries': data.close > 0, 'exits': data.close > 0, 'size': 1}\n",
        "bad_output",
        "unexpected key(s) size",
    ),
    "misaligned_index": (
        "def generate_signals(data, params):\n"
        "    s = (data.close > 0).reset_index(drop=True)\n"
        "    return s, data.close > 0\n",
        "bad_output",
        "index does not match",
    ),
    "resorted_in_place": (
        "def generate_signals(data, params):\n"
        "    data.sort_index(ascending=False, inplace=True)\n"
        "    return data.close > data.open, data.close < data.open\n",
        "bad_output",
        "index does not match",
    ),
    "dataframe_output": (
        "def generate_signals(data, params):\n    return data > 0, data.close > 0\n",
        "bad_output",
        "DataFrame",
    ),
    "two_dimensional": (
        "import numpy as np\n"
        "def generate_signals(data, params):\n"
        "    return np.zeros((2, 2)) > 0, data.close > 0\n",
        "bad_output",
        "1-dimensional",
    ),
    "missing_function": (
        "def signals(data, params):\n    return data.close > 0, data.close > 0\n",
        "policy_violation",
        "generate_signals(data, params)",
    ),
    "syntax_error": (
        "def generate_signals(data, params)\n    return 1\n",
        "policy_violation",
        "syntax error",
    ),
    "runtime_exception": (
        "def generate_signals(data, params):\n    x = params['missing']\n    return x, x\n",
        "runtime_error",
        "line 2: KeyError",
    ),
    "zero_division": (
        "def generate_signals(data, params):\n    y = 1 / 0\n    return y, y\n",
        "runtime_error",
        "ZeroDivisionError",
    ),
}


@pytest.fixture(scope="module")
def outcomes() -> Iterator[Prefetch[str, BaseException | None]]:
    def one(name: str) -> BaseException | None:
        try:
            run_strategy(CASES[name][0], DATA)
        except Exception as exc:
            return exc
        return None

    runs = Prefetch(one, list(CASES))
    yield runs
    runs.close()


@pytest.mark.parametrize("name", list(CASES))
def test_bad_output(name: str, outcomes: Prefetch[str, BaseException | None]) -> None:
    _, code, fragment = CASES[name]
    err = outcomes.get(name)
    assert isinstance(err, SandboxError), err
    assert err.code == code, err
    assert fragment in err.message, err.message


@pytest.mark.parametrize(
    ("data", "params", "fragment"),
    [
        (pd.DataFrame({"close": [1.0]}), None, "DatetimeIndex"),
        (DATA.drop(columns=["volume"]), None, "missing column(s): volume"),
        (DATA, {"x": object()}, "JSON"),
        (DATA, {"x": float("nan")}, "JSON"),
        ([1, 2, 3], None, "DataFrame"),
    ],
)
def test_bad_input(data: object, params: object, fragment: str) -> None:
    src = "def generate_signals(data, params):\n    return data.close > 0, data.close > 0\n"
    with pytest.raises(SandboxError) as info:
        run_strategy(src, data, params)  # type: ignore[arg-type]
    assert info.value.code == "bad_input"
    assert fragment in info.value.message


def test_timeout_kills_the_process_group() -> None:
    src = "def generate_signals(data, params):\n    while True:\n        pass\n"
    limits = SandboxLimits(cpu_seconds=30, wall_seconds=1.0)
    with pytest.raises(SandboxError) as info:
        run_strategy(src, DATA.iloc[:50], limits=limits)
    assert info.value.code == "timeout"


def test_runtime_guard_refusal_is_a_violation_with_a_line() -> None:
    src = (
        "def generate_signals(data, params):\n"
        "    data.close.apply('to_csv', args=('/tmp/x',))\n"
        "    return data.close > 0, data.close > 0\n"
    )
    with pytest.raises(SandboxError) as info:
        run_strategy(src, DATA.iloc[:50])
    assert info.value.code == "policy_violation"
    assert [(v.line, v.code) for v in info.value.violations] == [(2, "runtime_guard")]
    assert "only accepts a function" in info.value.message


def test_policy_violation_lists_every_line() -> None:
    src = (
        "import os\n"
        "def generate_signals(data, params):\n"
        "    x = data.__class__\n"
        "    y = eval('1')\n"
        "    return x, y\n"
    )
    with pytest.raises(SandboxError) as info:
        run_strategy(src, DATA)
    lines = {v.line for v in info.value.violations}
    assert {1, 3, 4} <= lines
