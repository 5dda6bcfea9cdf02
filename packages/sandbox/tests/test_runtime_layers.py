"""Process-level layers proven on their own.

These tests use the test-only ``_mode="probe"`` hook: the child runs a small *trusted*
probe with the static policy, RestrictedPython and the guards all switched off, after
the same hardening (netns, privilege drop, rlimits, seccomp) that strategies get. Each
probe tries a forbidden operation directly and reports the errno it got.
"""

from __future__ import annotations

import os
import socket
from pathlib import Path

import pytest

from vt_sandbox import SandboxError, SandboxLimits
from vt_sandbox.runner import _run

from .support import Tripwire, make_ohlcv

DATA = make_ohlcv(50)
LIMITS = SandboxLimits(cpu_seconds=1.0, wall_seconds=30.0, memory_mb=256)

PROBE = """
import errno, os, resource

def attempt(label, fn):
    try:
        fn()
    except OSError as exc:
        report(f"{label}:{errno.errorcode.get(exc.errno, exc.errno)}\\n")
    except ValueError:
        # resource.setrlimit turns EPERM into "not allowed to raise maximum limit"
        report(f"{label}:EPERM\\n")
    else:
        report(f"{label}:ALLOWED\\n")

def generate_signals(data, params):
    body()
    return data.close > 0, data.close < 0
"""


def _probe(
    body: str, tmp: Path | None = None, limits: SandboxLimits = LIMITS, *, fresh: bool = False
) -> dict[str, str]:
    src = PROBE + "\ndef body():\n" + "\n".join("    " + line for line in body.splitlines())
    if tmp is not None:
        src = src.replace("TMP", str(tmp))
    result = _run(src, DATA, None, limits, _static_policy=False, _mode="probe", _fresh=fresh)
    found = {}
    for line in result.stdout.splitlines():
        label, _, outcome = line.partition(":")
        found[label] = outcome
    return found


def test_network_is_blocked(tripwire: Tripwire) -> None:
    before = len(tripwire.connections)
    found = _probe(
        "import socket\n"
        "attempt('socket', lambda: socket.socket(socket.AF_INET, socket.SOCK_STREAM))\n"
        "attempt('socketpair', lambda: socket.socketpair())\n"
        f"attempt('connect', lambda: socket.create_connection(('127.0.0.1', {tripwire.port}), 1))\n"
    )
    assert found == {"socket": "EPERM", "socketpair": "EPERM", "connect": "EPERM"}
    assert len(tripwire.connections) == before


def test_fresh_interpreter_fallback_enforces_the_same(tripwire: Tripwire) -> None:
    # Runs normally fork from the zygote; the fallback path must hold just as well.
    found = _probe(
        "import socket\n"
        f"attempt('connect', lambda: socket.create_connection(('127.0.0.1', {tripwire.port}), 1))\n"
        "attempt('execv', lambda: os.execv('/bin/true', ['true']))\n"
        "attempt('kill_parent', lambda: os.kill(os.getppid(), 0))\n"
        "attempt('create', lambda: open('/tmp/vt-sandbox-fresh-probe', 'w'))\n",
        fresh=True,
    )
    assert found == {
        "connect": "EPERM",
        "execv": "EPERM",
        "kill_parent": "EPERM",
        "create": found["create"] if found["create"] in {"EPERM", "EACCES"} else "blocked",
    }
    assert not os.path.exists("/tmp/vt-sandbox-fresh-probe")


def test_exec_and_new_processes_are_blocked() -> None:
    found = _probe(
        "import subprocess\n"
        "attempt('execv', lambda: os.execv('/bin/true', ['true']))\n"
        "def fork():\n"
        "    pid = os.fork()\n"
        "    if pid == 0:\n"
        "        os._exit(0)\n"
        "attempt('fork', fork)\n"
        "attempt('subprocess', lambda: subprocess.run(['/bin/true']))\n"
        "attempt('posix_spawn', lambda: os.posix_spawn('/bin/true', ['true'], {}))\n"
    )
    assert found["execv"] == "EPERM"
    assert found["fork"] == "EPERM"
    assert found["subprocess"] in {"EPERM", "ENOSYS"}
    assert found["posix_spawn"] in {"EPERM", "ENOSYS"}


def test_filesystem_writes_are_blocked(tmp_path: Path) -> None:
    existing = tmp_path / "existing.txt"
    existing.write_text("keep me")
    os.chmod(tmp_path, 0o777)  # permissions are not what stops the writes
    found = _probe(
        "attempt('create', lambda: open('TMP/new.txt', 'w'))\n"
        "attempt('append', lambda: open('TMP/existing.txt', 'a'))\n"
        "attempt('truncate', lambda: open('TMP/existing.txt', 'r+'))\n"
        "attempt('mkdir', lambda: os.mkdir('TMP/dir'))\n"
        "attempt('unlink', lambda: os.unlink('TMP/existing.txt'))\n"
        "attempt('rename', lambda: os.rename('TMP/existing.txt', 'TMP/moved'))\n"
        "attempt('chmod', lambda: os.chmod('TMP/existing.txt', 0o777))\n"
        "attempt('symlink', lambda: os.symlink('/etc/passwd', 'TMP/link'))\n"
        "attempt('read', lambda: open('TMP/existing.txt').read())\n",
        tmp_path,
    )
    for op in ("create", "append", "truncate", "mkdir", "unlink", "rename", "chmod", "symlink"):
        assert found[op] in {"EPERM", "EACCES"}, (op, found)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["existing.txt"]
    assert existing.read_text() == "keep me"
    # Reads are not blocked by seccomp (imports need them); see docs/sandbox.md.
    assert found["read"] in {"ALLOWED", "EACCES"}


def test_limits_cannot_be_raised_and_other_processes_not_signalled() -> None:
    found = _probe(
        "inf = resource.RLIM_INFINITY\n"
        "attempt('raise_cpu', lambda: resource.setrlimit(resource.RLIMIT_CPU, (inf, inf)))\n"
        "attempt('raise_as', lambda: resource.setrlimit(resource.RLIMIT_AS, (inf, inf)))\n"
        "attempt('getrlimit', lambda: resource.getrlimit(resource.RLIMIT_AS))\n"
        "attempt('kill_parent', lambda: os.kill(os.getppid(), 0))\n"
        "attempt('kill_init', lambda: os.kill(1, 0))\n"
        "attempt('kill_self', lambda: os.kill(os.getpid(), 0))\n"
        "attempt('setuid', lambda: os.setuid(0))\n"
        "attempt('unshare', lambda: os.unshare(0) if hasattr(os, 'unshare') else os.setsid())\n"
    )
    assert found["raise_cpu"] == "EPERM"
    assert found["raise_as"] == "EPERM"
    assert found["getrlimit"] == "ALLOWED"
    assert found["kill_parent"] == "EPERM"
    assert found["kill_init"] == "EPERM"
    assert found["kill_self"] == "ALLOWED"
    assert found["setuid"] == "EPERM"


def test_memory_limit_applies_without_guards() -> None:
    with pytest.raises(SandboxError) as info:
        _probe("blob = bytearray(4 * 1024 ** 3)\n")
    assert info.value.code == "memory_limit"


def test_cpu_limit_applies_without_guards() -> None:
    with pytest.raises(SandboxError) as info:
        _probe("while True:\n    pass\n")
    assert info.value.code == "cpu_limit"


def test_environment_is_empty_and_cwd_is_private() -> None:
    found = _probe(
        "report('env:' + ','.join(sorted(os.environ)) + '\\n')\n"
        "attempt('listcwd', lambda: os.listdir('.'))\n"
    )
    assert (
        found["env"]
        == "LC_ALL,MKL_NUM_THREADS,NUMEXPR_NUM_THREADS,OMP_NUM_THREADS,OPENBLAS_NUM_THREADS"
    )
    assert found["listcwd"] in {"ALLOWED", "EACCES"}


@pytest.mark.skipif(os.geteuid() != 0, reason="network namespace as root only")
def test_network_namespace_when_root() -> None:
    result = _run(
        "def generate_signals(data, params):\n    return data.close > 0, data.close < 0\n",
        DATA,
        None,
        LIMITS,
    )
    assert result.isolation["network"] == "netns"
    assert (
        "capabilities dropped" in result.isolation["privileges"]
        or "nobody" in (result.isolation["privileges"])
    )


def test_parent_can_still_use_the_network() -> None:
    # Sanity check that the tests above measure the child, not a network-less host.
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))


def _landlock_active() -> bool:
    from vt_sandbox import landlock

    return landlock.abi_version() >= 1


@pytest.mark.skipif(not _landlock_active(), reason="kernel without Landlock")
def test_reads_are_confined_by_landlock(tmp_path: Path) -> None:
    secret = tmp_path / "secret.txt"
    secret.write_text("api-key")
    os.chmod(tmp_path, 0o755)
    os.chmod(secret, 0o644)
    found = _probe(
        "attempt('passwd', lambda: open('/etc/passwd').read())\n"
        "attempt('init_environ', lambda: open('/proc/1/environ', 'rb').read())\n"
        "attempt('secret', lambda: open('TMP/secret.txt').read())\n"
        "attempt('listdir_root', lambda: os.listdir('/'))\n"
        "import numpy\n"
        "attempt('numpy_source', lambda: open(numpy.__file__).read())\n",
        tmp_path,
    )
    assert found["passwd"] == "EACCES"
    assert found["init_environ"] == "EACCES"
    assert found["secret"] == "EACCES"
    assert found["listdir_root"] == "EACCES"
    assert found["numpy_source"] == "ALLOWED"  # the interpreter's own files stay readable


def test_private_workdir_is_created_and_removed(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import tempfile

    from vt_sandbox import runner

    runner._command()  # resolve the bytecode cache location before redirecting tempdir
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    found = _probe("report('cwd:' + os.getcwd() + '\\n')\n")
    assert found["cwd"].startswith(str(tmp_path / "vt-sandbox-"))
    assert list(tmp_path.iterdir()) == []
