"""`vt-dev`: run the whole platform on one machine (`make up`), stop it (`make down`), or just
start the backing servers (`vt-dev servers`)."""

from __future__ import annotations

import argparse
import contextlib
import os
import secrets
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path

import httpx

from vt_devstack.services import SERVICES
from vt_devstack.stack import Backing, repo_root, start_backing

COLORS = ["\033[36m", "\033[35m", "\033[33m", "\033[32m", "\033[34m", "\033[31m"]
RESET = "\033[0m"


def _say(msg: str) -> None:
    print(f"\033[1m[vt]\033[0m {msg}", flush=True)


def _secrets(var_dir: Path) -> dict[str, str]:
    """Per-installation secrets, generated once and kept in var/ (never the development defaults)."""
    path = var_dir / "secrets.env"
    values: dict[str, str] = {}
    if path.exists():
        for line in path.read_text().splitlines():
            key, _, value = line.partition("=")
            if key:
                values[key] = value
    changed = False
    for key in ("INTERNAL_TOKEN", "JWT_SECRET"):
        if key not in values:
            values[key] = secrets.token_urlsafe(48)
            changed = True
    if changed:
        var_dir.mkdir(parents=True, exist_ok=True)
        path.write_text("".join(f"{k}={v}\n" for k, v in values.items()))
        path.chmod(0o600)
    return values


def _pump(name: str, color: str, stream: object) -> None:
    width = max(len(s.name) for s in SERVICES)
    for raw in iter(stream.readline, b""):  # type: ignore[attr-defined]
        line = raw.decode(errors="replace").rstrip()
        sys.stdout.write(f"{color}{name:<{width}}{RESET} | {line}\n")
        sys.stdout.flush()


def _env_for(backing: Backing, extra: dict[str, str], host: str) -> dict[str, str]:
    env = dict(os.environ)
    env.update(extra)
    env["DATABASE_URL"] = backing.database_url
    env["REDIS_URL"] = backing.redis_url
    env.setdefault(
        "NUMBA_CACHE_DIR", str(repo_root() / "var" / "numba-cache")
    )  # shared: compiled code only
    for svc in SERVICES:
        port = int(env.get(svc.port_env, svc.default_port))
        env[svc.port_env] = str(port)
        if svc.url_env:
            env.setdefault(svc.url_env, f"http://{host}:{port}")
    return env


def _wait_ready(
    env: dict[str, str], host: str, procs: dict[str, subprocess.Popen[bytes]], timeout: float
) -> dict[str, float]:
    started = time.monotonic()
    ready: dict[str, float] = {}
    with httpx.Client(timeout=2.0) as client:
        while len(ready) < len(SERVICES):
            for svc in SERVICES:
                if svc.name in ready:
                    continue
                proc = procs[svc.name]
                if proc.poll() is not None:
                    raise RuntimeError(
                        f"{svc.name} exited with code {proc.returncode} before it was ready (see its log lines above)"
                    )
                with contextlib.suppress(httpx.HTTPError):
                    r = client.get(f"http://{host}:{env[svc.port_env]}/ready")
                    if r.status_code == 200:
                        ready[svc.name] = time.monotonic() - started
            if time.monotonic() - started > timeout:
                missing = [s.name for s in SERVICES if s.name not in ready]
                raise RuntimeError(f"not ready after {timeout:.0f} s: {', '.join(missing)}")
            time.sleep(0.2)
    return ready


def var_dir_for(root: Path) -> Path:
    """Where the stack keeps its data: VT_VAR_DIR, else ./var (e2e tests use a separate one)."""
    return Path(os.environ.get("VT_VAR_DIR", str(root / "var"))).resolve()


def up(args: argparse.Namespace) -> int:
    t0 = time.monotonic()
    root = repo_root()
    var_dir = var_dir_for(root)
    var_dir.mkdir(exist_ok=True)
    pid_file = var_dir / "stack.pid"
    if pid_file.exists():
        with contextlib.suppress(ValueError, ProcessLookupError):
            os.kill(int(pid_file.read_text()), 0)
            _say(
                f"the stack is already running (pid {pid_file.read_text().strip()}); `make down` stops it"
            )
            return 1
    host = os.environ.get("VT_HOST", "127.0.0.1")
    backing = start_backing(
        var_dir,
        os.environ.get("VT_DATABASE_NAME", "vibetrading"),
        pg_port=int(os.environ.get("VT_EMBEDDED_PG_PORT", "55432")),
        redis_port=int(os.environ.get("VT_EMBEDDED_REDIS_PORT", "56379")),
    )
    for note in backing.notes:
        _say(note)
    from vt_db.migrate import upgrade

    upgrade(backing.database_url)
    _say("database migrated")
    env = _env_for(backing, _secrets(var_dir), host)
    env.setdefault("VT_ENV", "development")
    env.setdefault("VT_FRONTEND_DIR", str(root / "frontend" / "out"))
    procs: dict[str, subprocess.Popen[bytes]] = {}
    pid_file.write_text(str(os.getpid()))
    stopping = threading.Event()

    def stop_all(*_: object) -> None:
        stopping.set()

    signal.signal(signal.SIGTERM, stop_all)
    signal.signal(signal.SIGINT, stop_all)
    try:
        for i, svc in enumerate(SERVICES):
            svc_env = dict(env, PORT=env[svc.port_env], HOST=host, **svc.env)
            for other in SERVICES:  # one module run twice (trading paper + live): its own port
                if other.module == svc.module:
                    svc_env[other.port_env] = env[svc.port_env]
            proc = subprocess.Popen(
                [sys.executable, "-m", svc.module],
                env=svc_env,
                stdout=subprocess.PIPE,
                stderr=subprocess.STDOUT,
                cwd=root,
                start_new_session=True,
            )
            procs[svc.name] = proc
            threading.Thread(
                target=_pump, args=(svc.name, COLORS[i % len(COLORS)], proc.stdout), daemon=True
            ).start()
        ready = _wait_ready(
            env, host, procs, timeout=float(os.environ.get("VT_READY_TIMEOUT", "180"))
        )
        total = time.monotonic() - t0
        for name, seconds in sorted(ready.items(), key=lambda kv: kv[1]):
            _say(f"{name:<12} ready after {seconds:5.1f} s")
        _say(
            f"all services ready in {total:.1f} s — open http://{host}:{env['GATEWAY_PORT']}  (Ctrl-C stops everything)"
        )
        (var_dir / "last-start.txt").write_text(f"{total:.2f}\n")
        while not stopping.is_set():
            for name, proc in procs.items():
                if proc.poll() is not None:
                    _say(f"{name} exited with code {proc.returncode}; stopping the stack")
                    stopping.set()
            stopping.wait(0.5)
        return 0
    except RuntimeError as exc:
        _say(f"error: {exc}")
        return 1
    finally:
        _say("stopping services…")
        for proc in procs.values():
            with contextlib.suppress(ProcessLookupError):
                os.killpg(proc.pid, signal.SIGTERM)
        deadline = time.monotonic() + 15
        for proc in procs.values():
            with contextlib.suppress(subprocess.TimeoutExpired):
                proc.wait(timeout=max(0.1, deadline - time.monotonic()))
            if proc.poll() is None:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(proc.pid, signal.SIGKILL)
        backing.stop()
        pid_file.unlink(missing_ok=True)
        _say("stopped; data kept in var/")


def down(_args: argparse.Namespace) -> int:
    pid_file = var_dir_for(repo_root()) / "stack.pid"
    if not pid_file.exists():
        _say("the stack is not running")
        return 0
    pid = int(pid_file.read_text())
    try:
        os.kill(pid, signal.SIGTERM)
    except ProcessLookupError:
        pid_file.unlink(missing_ok=True)
        _say("the stack was not running (stale pid file removed)")
        return 0
    for _ in range(300):
        if not pid_file.exists():
            _say("stack stopped")
            return 0
        time.sleep(0.1)
    _say("the stack did not stop within 30 s")
    return 1


def servers(_: argparse.Namespace) -> int:
    """Start only the backing servers and print their URLs (for running one service by hand)."""
    root = repo_root()
    backing = start_backing(
        var_dir_for(root),
        "vibetrading",
        pg_port=int(os.environ.get("VT_EMBEDDED_PG_PORT", "55432")),
        redis_port=int(os.environ.get("VT_EMBEDDED_REDIS_PORT", "56379")),
    )
    from vt_db.migrate import upgrade

    upgrade(backing.database_url)
    print(f"DATABASE_URL={backing.database_url}")
    print(f"REDIS_URL={backing.redis_url}")
    return 0


def stop_servers(_: argparse.Namespace) -> int:
    from vt_devstack.embedded import EmbeddedPostgres, EmbeddedRedis

    var_dir = var_dir_for(repo_root())
    EmbeddedRedis(var_dir / "redis", int(os.environ.get("VT_EMBEDDED_REDIS_PORT", "56379"))).stop()
    EmbeddedPostgres(
        var_dir / "postgres", int(os.environ.get("VT_EMBEDDED_PG_PORT", "55432"))
    ).stop()
    return 0


def _stack_running(var_dir: Path) -> int | None:
    """The pid of a running `make up` on this var/, else None."""
    pid_file = var_dir / "stack.pid"
    with contextlib.suppress(FileNotFoundError, ValueError, ProcessLookupError):
        pid = int(pid_file.read_text())
        os.kill(pid, 0)
        return pid
    return None


def _with_database(action: Callable[[str], object]) -> None:
    """Run `action` on the stack's database URL; embedded servers this started are stopped after."""
    var_dir = var_dir_for(repo_root())
    running = _stack_running(var_dir) is not None
    backing = start_backing(
        var_dir,
        os.environ.get("VT_DATABASE_NAME", "vibetrading"),
        pg_port=int(os.environ.get("VT_EMBEDDED_PG_PORT", "55432")),
        redis_port=int(os.environ.get("VT_EMBEDDED_REDIS_PORT", "56379")),
    )
    try:
        action(backing.database_url)
    finally:
        if not running:
            backing.stop()


def backup_cmd(args: argparse.Namespace) -> int:
    """Dump the database to a file under var/backups (or --out), keeping the newest --keep."""
    from vt_devstack import backup as bk

    folder = var_dir_for(repo_root()) / "backups"
    out = Path(args.out).resolve() if args.out else bk.default_backup_path(folder)
    try:
        _with_database(lambda url: bk.backup(url, out))
    except bk.BackupError as e:
        _say(f"backup failed: {e}")
        return 1
    _say(f"backup written: {out} ({out.stat().st_size:,} bytes)")
    if not args.out:
        for old in bk.prune(folder, args.keep):
            _say(f"removed old backup {old.name} (keeping the newest {args.keep})")
    return 0


def restore_cmd(args: argparse.Namespace) -> int:
    """Replace the database's contents with a backup's (the stack must be stopped)."""
    from vt_devstack import backup as bk

    pid = _stack_running(var_dir_for(repo_root()))
    if pid is not None:
        _say(f"the stack is running (pid {pid}): stop it with `make down`, then restore")
        return 1
    try:
        _with_database(lambda url: bk.restore(url, Path(args.file).resolve()))
    except bk.BackupError as e:
        _say(f"restore failed: {e}")
        return 1
    _say(f"restored {args.file} and migrated it to this version's schema")
    return 0


def _positive(text: str) -> int:
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError("keep at least 1 backup")
    return value


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="vt-dev", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("up", help="start everything in the foreground").set_defaults(func=up)
    sub.add_parser("down", help="stop a running stack").set_defaults(func=down)
    sub.add_parser(
        "servers", help="start only PostgreSQL and Redis, migrate, print URLs"
    ).set_defaults(func=servers)
    sub.add_parser("stop-servers", help="stop embedded PostgreSQL and Redis").set_defaults(
        func=stop_servers
    )
    b = sub.add_parser("backup", help="dump the database to var/backups/ (or --out FILE)")
    b.add_argument("--out", help="write the dump here instead of var/backups/")
    b.add_argument(
        "--keep",
        type=_positive,
        default=int(os.environ.get("VT_BACKUP_KEEP", "14")),
        help="backups kept in var/backups/ (default VT_BACKUP_KEEP or 14)",
    )
    b.set_defaults(func=backup_cmd)
    r = sub.add_parser("restore", help="replace the database's contents with a backup")
    r.add_argument("file", help="a .dump written by `vt-dev backup`")
    r.set_defaults(func=restore_cmd)
    args = parser.parse_args(argv)
    result: int = args.func(args)
    return result


if __name__ == "__main__":
    raise SystemExit(main())
