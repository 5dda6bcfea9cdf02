"""Runtime guards for RestrictedPython: the same allow-lists, enforced on live objects.

The transformer rewrites ``a.b`` to ``_getattr_(a, "b")``, ``a[b]`` to ``_getitem_(a, b)``,
``a[b] = c`` to ``_write_(a)[b] = c`` and so on; the functions here decide at run time.
"""

from __future__ import annotations

import builtins
import contextlib
import functools
import importlib
import inspect
import operator
import types
from collections.abc import Callable, Iterable, Iterator
from typing import Any

import numpy as np
import pandas as pd
from RestrictedPython.Guards import guarded_iter_unpack_sequence, guarded_unpack_sequence

from vt_sandbox.allowlist import (
    ALLOWED_MODULES,
    ASTYPE_DTYPE_NAMES,
    CALLBACK_METHODS,
    DENIED_KWARGS,
    INDICATORS_MODULE,
    MODULE_ATTRS,
    OBJECT_ATTRS,
    SAFE_BUILTIN_NAMES,
)


class GuardError(BaseException):
    """Raised when strategy code reaches for something outside the allow-list.

    A BaseException on purpose: even if some route let strategy code catch exceptions,
    ``except Exception`` would not swallow a guard refusal.
    """


# Values that must never be handed to strategy code, whatever route produced them.
_FORBIDDEN_VALUE_TYPES: tuple[type, ...] = (
    types.FrameType,
    types.CodeType,
    types.TracebackType,
    types.GeneratorType,
    types.CoroutineType,
    types.AsyncGeneratorType,
    types.CellType,
    types.MappingProxyType,
)

# Method results are checked against a shorter list: generators (``df.items()``) are
# fine to iterate because their frame attributes are never on the allow-list.
_NEVER_RETURNED: tuple[type, ...] = (
    types.FrameType,
    types.CodeType,
    types.TracebackType,
    types.ModuleType,
)

_ASTYPE_TYPES: tuple[object, ...] = (
    bool,
    int,
    float,
    np.bool_,
    np.float64,
    np.float32,
    np.int64,
    np.int32,
    np.int8,
    np.uint8,
)


def _is_indicator(value: object) -> bool:
    module = getattr(value, "__module__", None) or ""
    return isinstance(value, types.FunctionType) and (
        module == "vt_engine" or module.startswith("vt_engine.")
    )


def _check_value(value: object, what: str) -> object:
    if isinstance(value, _FORBIDDEN_VALUE_TYPES):
        raise GuardError(f"{what} gives access to interpreter internals and is not allowed")
    if isinstance(value, types.ModuleType) and value.__name__ not in ALLOWED_MODULES:
        raise GuardError(f"{what} is a module that strategy code may not use")
    return value


def guarded_getattr(obj: object, name: object, default: object = None) -> object:
    """``_getattr_``: attribute reads must be on the allow-list for that kind of object."""
    if not isinstance(name, str) or not name or name.startswith("_"):
        raise GuardError(f"attribute {name!r} is not allowed")
    if isinstance(obj, types.ModuleType):
        return _module_attr(obj, name)
    if isinstance(obj, type):
        raise GuardError(
            f"attributes of classes are not allowed ({getattr(obj, '__name__', '?')}.{name})"
        )
    if isinstance(obj, types.FunctionType | types.BuiltinFunctionType | types.MethodType):
        raise GuardError(f"attributes of functions are not allowed (.{name})")
    if name not in OBJECT_ATTRS:
        raise GuardError(f"attribute {name!r} is not on the allow-list")
    value = getattr(obj, name)
    _check_value(value, f"attribute {name!r}")
    if inspect.isroutine(value):
        # Methods get argument checks; indexers (.loc/.iloc) are callable but are not
        # routines and must stay subscriptable/writable.
        return _guard_method(name, value)
    return value


def _module_attr(module: types.ModuleType, name: str) -> object:
    modname = module.__name__
    if modname == INDICATORS_MODULE:
        value = getattr(module, name, None)
        if not _is_indicator(value):
            raise GuardError(f"{modname}.{name} is not an indicator function")
        return value
    allowed = MODULE_ATTRS.get(modname)
    if allowed is None or name not in allowed:
        raise GuardError(f"{modname}.{name} is not on the allow-list")
    return _check_value(getattr(module, name), f"{modname}.{name}")


@functools.lru_cache(maxsize=1024)
def _engine_signature(func: Callable[..., Any]) -> inspect.Signature | None:
    """Signature of a Python-level method that has an ``engine``-like parameter."""
    try:
        sig = inspect.signature(func)
    except (TypeError, ValueError):
        return None  # C-implemented (numpy): no engine switch to worry about
    return sig if DENIED_KWARGS.intersection(sig.parameters) else None


def _check_engine(
    name: str, method: Callable[..., Any], args: tuple[Any, ...], kwargs: Any
) -> None:
    denied = DENIED_KWARGS.intersection(kwargs)
    if denied:
        raise GuardError(f".{name}() does not accept {sorted(denied)[0]}=")
    func = getattr(method, "__func__", None)
    if func is None or not args:
        return
    sig = _engine_signature(func)
    if sig is None:
        return
    # ``rolling(5).mean(False, "numba")`` passes the engine positionally.
    try:
        bound = sig.bind_partial(None, *args)
    except TypeError:
        return  # pandas will raise its own TypeError for the bad call
    for param in DENIED_KWARGS.intersection(bound.arguments):
        if bound.arguments[param] is not None:
            raise GuardError(f".{name}() does not accept {param}")


def _guard_method(name: str, method: Callable[..., Any]) -> Callable[..., Any]:
    def call(*args: Any, **kwargs: Any) -> Any:
        _check_engine(name, method, args, kwargs)
        if name in CALLBACK_METHODS:
            _check_callbacks(name, args, kwargs)
        elif name == "astype":
            _check_astype(args, kwargs)
        result = method(*args, **kwargs)
        if isinstance(result, _NEVER_RETURNED):
            raise GuardError(f".{name}() returned an object strategy code may not use")
        return result

    return call


def _check_callbacks(name: str, args: tuple[Any, ...], kwargs: dict[str, Any]) -> None:
    candidates = list(args[:1]) + [kwargs[k] for k in ("func", "arg") if k in kwargs]
    for func in candidates:
        if name == "map" and isinstance(func, dict | pd.Series):
            continue
        if isinstance(func, str | bytes | list | tuple | dict) or not callable(func):
            raise GuardError(f".{name}() only accepts a function here, not {type(func).__name__}")


def _check_astype(args: tuple[Any, ...], kwargs: dict[str, Any]) -> None:
    dtype = args[0] if args else kwargs.get("dtype")
    if isinstance(dtype, str) and dtype in ASTYPE_DTYPE_NAMES:
        return
    if any(dtype is allowed for allowed in _ASTYPE_TYPES):
        return
    raise GuardError(".astype() only accepts bool, int or float dtypes")


def guarded_getitem(obj: object, key: object) -> object:
    """``_getitem_``: item reads are fine except dunder-looking string keys."""
    if isinstance(key, str) and "__" in key:
        raise GuardError(f"item {key!r} is not allowed")
    if isinstance(obj, types.ModuleType):
        raise GuardError("modules cannot be indexed")
    return _check_value(obj[key], "this item")  # type: ignore[index]


class _ItemWriter:
    """What ``_write_`` hands back: item writes pass through, attribute writes do not."""

    __slots__ = ("_target",)
    _target: object

    def __init__(self, target: object) -> None:
        object.__setattr__(self, "_target", target)

    def __setitem__(self, key: object, value: object) -> None:
        if isinstance(key, str) and "__" in key:
            raise GuardError(f"item {key!r} is not allowed")
        target: Any = self._target
        target[key] = value

    def __delitem__(self, key: object) -> None:
        target: Any = self._target
        del target[key]

    def __setattr__(self, name: str, value: object) -> None:
        raise GuardError(f"assigning attribute {name!r} is not allowed")

    def __delattr__(self, name: str) -> None:
        raise GuardError(f"deleting attribute {name!r} is not allowed")


def _writable_types() -> tuple[type, ...]:
    frame = pd.DataFrame({"a": [1.0]})
    indexers = {type(frame.loc), type(frame.iloc), type(frame.at), type(frame.iat)}
    return (list, dict, set, np.ndarray, pd.Series, pd.DataFrame, *indexers)


_WRITABLE: tuple[type, ...] = _writable_types()


def guarded_write(obj: object) -> object:
    """``_write_``: only containers may be written to, and only through items."""
    if isinstance(obj, _WRITABLE) and not isinstance(obj, type):
        return _ItemWriter(obj)
    raise GuardError(f"objects of type {type(obj).__name__} cannot be modified")


def guarded_iter(obj: Iterable[Any]) -> Iterator[Any]:
    """``_getiter_``: plain iteration; modules and classes are not iterable data."""
    if isinstance(obj, types.ModuleType | type):
        raise GuardError("cannot iterate over a module or class")
    return iter(obj)


_INPLACE_OPS: dict[str, Callable[[Any, Any], Any]] = {
    "+=": operator.iadd,
    "-=": operator.isub,
    "*=": operator.imul,
    "/=": operator.itruediv,
    "//=": operator.ifloordiv,
    "%=": operator.imod,
    "**=": operator.ipow,
    "&=": operator.iand,
    "|=": operator.ior,
    "^=": operator.ixor,
    "<<=": operator.ilshift,
    ">>=": operator.irshift,
    "@=": operator.imatmul,
}


def guarded_inplacevar(op: str, left: Any, right: Any) -> Any:
    """``_inplacevar_``: ``x += y`` on plain variables."""
    try:
        func = _INPLACE_OPS[op]
    except KeyError:
        raise GuardError(f"operator {op!r} is not allowed") from None
    return func(left, right)


def guarded_apply(func: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
    """``_apply_``: calls with ``*args``/``**kwargs``; keyword names are checked too."""
    for key in kwargs:
        if key.startswith("_"):
            raise GuardError(f"keyword argument {key!r} is not allowed")
    return func(*args, **kwargs)


class CappedPrint:
    """``_print_``: collects ``print`` output in memory, failing once over the cap."""

    def __init__(self, cap: int) -> None:
        self.cap = cap
        self.parts: list[str] = []
        self.size = 0

    def factory(self, _getattr: object = None) -> CappedPrint:
        # RestrictedPython calls ``_print_(_getattr_)`` once per function scope.
        return self

    def write(self, text: str) -> None:
        self.size += len(text)
        if self.size > self.cap:
            raise OutputTooLarge(
                f"the strategy printed more than {self.cap:,} characters; "
                "remove prints inside loops"
            )
        self.parts.append(text)

    def _call_print(self, *objects: object, **kwargs: object) -> None:
        if set(kwargs) - {"sep", "end"}:
            raise GuardError("print() only accepts sep= and end=")
        sep = kwargs.get("sep", " ")
        end = kwargs.get("end", "\n")
        if not isinstance(sep, str) or not isinstance(end, str):
            raise GuardError("print() sep= and end= must be strings")
        self.write(sep.join(str(o) for o in objects) + end)

    def __call__(self) -> str:
        return "".join(self.parts)


class OutputTooLarge(BaseException):
    """Print output went over the configured cap."""


def make_import(preloaded: dict[str, types.ModuleType]) -> Callable[..., types.ModuleType]:
    """``__import__`` for strategy code: allowed modules only, ``from`` names checked."""

    def guarded_import(
        name: str,
        globals: object = None,
        locals: object = None,
        fromlist: tuple[str, ...] | list[str] | None = (),
        level: int = 0,
    ) -> types.ModuleType:
        if level != 0:
            raise GuardError("relative imports are not allowed")
        if name == "vt_engine":
            if list(fromlist or ()) != ["indicators"]:
                raise GuardError("only 'from vt_engine import indicators' is allowed")
            return _parent_of_indicators(preloaded)
        if name not in ALLOWED_MODULES:
            raise GuardError(f"import of {name!r} is not allowed")
        module = _load(name, preloaded)
        for item in fromlist or ():
            _module_attr(module, item)
        if "." in name and not fromlist:
            # ``import vt_engine.indicators [as x]`` binds the top package first.
            return _parent_of_indicators(preloaded)
        return module

    return guarded_import


def _load(name: str, preloaded: dict[str, types.ModuleType]) -> types.ModuleType:
    module = preloaded.get(name)
    if module is None:
        raise GuardError(f"module {name!r} is not available in this sandbox")
    return module


def _parent_of_indicators(preloaded: dict[str, types.ModuleType]) -> types.ModuleType:
    _load(INDICATORS_MODULE, preloaded)
    return importlib.import_module("vt_engine")


def preload_modules(with_indicators: bool) -> dict[str, types.ModuleType]:
    """Import the allowed modules up front (trusted), so user imports are lookups."""
    import math

    modules: dict[str, types.ModuleType] = {"numpy": np, "pandas": pd, "math": math}
    if with_indicators:
        # If it is missing, the strategy's import fails with a clear "not available".
        with contextlib.suppress(ImportError):
            modules[INDICATORS_MODULE] = importlib.import_module(INDICATORS_MODULE)
    return modules


def safe_builtins(import_func: Callable[..., types.ModuleType]) -> dict[str, object]:
    """The minimal builtins mapping (no getattr/open/type/...)."""
    table: dict[str, object] = {
        name: getattr(builtins, name)
        for name in SAFE_BUILTIN_NAMES
        if name not in {"True", "False", "None"}
    }
    table["__import__"] = import_func
    return table


def restricted_globals(
    printer: CappedPrint, modules: dict[str, types.ModuleType]
) -> dict[str, object]:
    """Globals for ``exec`` of RestrictedPython-compiled strategy code."""
    return {
        "__builtins__": safe_builtins(make_import(modules)),
        "__name__": "strategy",
        "__metaclass__": None,
        "_getattr_": guarded_getattr,
        "_getitem_": guarded_getitem,
        "_write_": guarded_write,
        "_getiter_": guarded_iter,
        "_iter_unpack_sequence_": guarded_iter_unpack_sequence,
        "_unpack_sequence_": guarded_unpack_sequence,
        "_inplacevar_": guarded_inplacevar,
        "_apply_": guarded_apply,
        "_print_": printer.factory,
    }
