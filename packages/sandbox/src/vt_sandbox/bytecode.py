"""Keep child start-up fast when the environment ships no ``.pyc`` files.

Importing pandas from source costs ~1 s; from bytecode ~0.25 s. If the installed
packages have no bytecode next to them (e.g. PYTHONDONTWRITEBYTECODE in development),
children read a private cache (``-X pycache_prefix``) that a trusted warm-up process
fills once. Sandboxed children only ever read it (``-B``, and they cannot write files).
In production images, compile bytecode at build time (``UV_COMPILE_BYTECODE=1``) and
this module does nothing.
"""

from __future__ import annotations

import contextlib
import importlib.util
import os
import stat
import subprocess
import sys
import tempfile
import threading

_lock = threading.Lock()
_state: dict[str, str | None] = {}
_WARM_MODULES = "import numpy, pandas, RestrictedPython, vt_sandbox.child, vt_sandbox.guards"


def _has_bytecode(module: str) -> bool:
    spec = importlib.util.find_spec(module)
    if spec is None or spec.origin is None:
        return False
    return os.path.exists(importlib.util.cache_from_source(spec.origin))


def _warm_already(prefix: str, module: str) -> bool:
    """Does the prefix cache already hold bytecode for ``module``? (Mirrors CPython's layout.)"""
    spec = importlib.util.find_spec(module)
    if spec is None or spec.origin is None:
        return False
    head, tail = os.path.split(spec.origin)
    name = f"{tail.rsplit('.', 1)[0]}.{sys.implementation.cache_tag}.pyc"
    return os.path.exists(os.path.join(prefix, head.lstrip(os.sep), name))


def _private_dir(path: str) -> bool:
    """True if ``path`` is a real directory owned by us and writable only by us."""
    try:
        st = os.lstat(path)
    except FileNotFoundError:
        with contextlib.suppress(FileExistsError):
            os.makedirs(path, mode=0o700)
        st = os.lstat(path)
    return (
        stat.S_ISDIR(st.st_mode)
        and st.st_uid == os.geteuid()
        and not st.st_mode & (stat.S_IWGRP | stat.S_IWOTH)
    )


def pycache_prefix(sys_path: list[str]) -> str | None:
    """The prefix children should use, or None when regular bytecode is available."""
    with _lock:
        if "prefix" in _state:
            return _state["prefix"]
        prefix: str | None = None
        if sys.pycache_prefix:
            prefix = sys.pycache_prefix
        elif not _has_bytecode("pandas.core.frame"):
            candidate = os.environ.get("VT_SANDBOX_PYCACHE") or os.path.join(
                tempfile.gettempdir(), f"vt-sandbox-pycache-{os.geteuid()}"
            )
            try:
                if _private_dir(candidate):
                    prefix = candidate
                    if not _warm_already(prefix, "pandas.core.frame"):
                        _warm(prefix, sys_path)
            except (OSError, subprocess.SubprocessError):
                pass  # no cache: children import from source, just slower
        _state["prefix"] = prefix
        return prefix


def _warm(prefix: str, sys_path: list[str]) -> None:
    # Trusted code only (our own imports); a failure just means slower children.
    code = f"import sys; sys.path[0:0] = {sys_path!r}; {_WARM_MODULES}"
    subprocess.run(  # noqa: S603 - fixed argv, our own interpreter
        [sys.executable, "-I", "-S", "-X", f"pycache_prefix={prefix}", "-c", code],
        env={},
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        timeout=120,
        check=False,
    )
