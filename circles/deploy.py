"""The production topology on one machine, for local trials, the tests and the benchmarks:
nginx (the sample of docs/deploy.md) in front of gunicorn processes with gevent workers,
sharing one PostgreSQL database and one Redis.

    python -m circles.deploy --port 18100          # Ctrl-C stops everything it started

It creates (if missing) and migrates a database on the PostgreSQL server it is given, starts
a private ``redis-server`` unless given ``--redis``, two gunicorn processes with the
production command on the next ports, and nginx with its own configuration, pid file, logs
and temp files in a fresh folder. A small Python module rather than a Procfile run by
honcho: the steps have an order (migrate, then serve; processes answering before nginx) and
the tests and ``bench/`` start exactly this, then kill and restart single processes.
"""

from __future__ import annotations

import argparse
import os
import re
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

ROOT = Path(__file__).resolve().parent.parent
START_TIMEOUT = 120.0  # seconds until a started process must answer (a busy 2-core box)
STOP_TIMEOUT = 10.0  # seconds between SIGTERM and SIGKILL
#: The runner's variables that must not reach a server (besides every ``FLASK_*`` one).
SCRUBBED = ("WERKZEUG_RUN_MAIN", "WERKZEUG_SERVER_FD", "DATABASE_URL", "SECRET_KEY",
            "SOCKETIO_MESSAGE_QUEUE", "RATELIMIT_STORAGE_URI", "SESSION_COOKIE_SECURE")


def gunicorn_command(port: int, python: str = sys.executable) -> list[str]:
    """The production command of one process (README, docs/deploy.md), reading the
    repository's ``gunicorn.conf.py`` from the working directory."""
    return [python, "-m", "gunicorn", "-k", "gevent", "-w", "1", "-b", f"127.0.0.1:{port}",
            "circles:create_app()"]


def nginx_sample() -> str:
    """The nginx configuration of docs/deploy.md (the block with the ``log_format``)."""
    text = (ROOT / "docs" / "deploy.md").read_text()
    return str(next(block for block in re.findall(r"```nginx\n(.*?)```", text,
                                                    flags=re.DOTALL)
                    if "log_format" in block))


def nginx_config(folder: Path, upstreams: Sequence[int], port: int) -> Path:
    """The sample of docs/deploy.md, on plain http at ``port`` in front of ``upstreams``,
    with its pid file, logs and temp files in ``folder``; returns the file's path."""
    sample = nginx_sample()
    servers = "".join(f"    server 127.0.0.1:{p} max_fails=0;\n" for p in upstreams)
    sample = re.sub(r"(    server 127\.0\.0\.1:\d+ max_fails=0;\n)+", servers, sample)
    sample = sample.replace("listen 443 ssl;", f"listen 127.0.0.1:{port};")
    sample = sample.replace("/var/log/nginx/", f"{folder}/")
    assert f"listen 127.0.0.1:{port};" in sample and servers in sample, "sample changed shape"
    temp = " ".join(f"{kind}_temp_path {folder}/{kind};"
                    for kind in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi"))
    user = "user root;" if os.geteuid() == 0 else ""  # workers must reach the folder
    path = folder / "nginx.conf"
    # Enough connections for thousands of sockets: each holds two (client and upstream).
    path.write_text(f"daemon off; pid {folder}/nginx.pid; error_log {folder}/error.log; {user}\n"
                    f"worker_rlimit_nofile 20000;\n"
                    f"events {{ worker_connections 10000; }}\nhttp {{\n{temp}\n{sample}\n}}\n")
    return path


def free_port() -> int:
    """A free port for a server to listen on, from below the ephemeral range
    (``free_port_block``)."""
    return free_port_block(1)


def port_free(port: int) -> bool:
    """Whether a listener could bind ``port`` on 127.0.0.1 now."""
    with socket.socket() as probe:
        try:
            probe.bind(("127.0.0.1", port))
        except OSError:
            return False
        return True


def free_port_block(count: int, low: int = 20000, high: int = 32000) -> int:
    """The first of ``count`` consecutive free ports, drawn below the kernel's ephemeral
    range (32768 and up on Linux), so no outgoing connection is handed one of them between
    this check and the servers binding them (as ``free_port() + 1`` can be)."""
    for _ in range(200):
        base = secrets.randbelow(high - low - count) + low
        if all(port_free(base + n) for n in range(count)):
            return base
    raise RuntimeError(f"no {count} consecutive free ports between {low} and {high}")


def wait_for(url: str, process: subprocess.Popen[bytes], log: Path,
             timeout: float = START_TIMEOUT) -> None:
    """Wait until ``url`` answers with any HTTP status; raise with the log if the process
    ended or the time ran out."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"{process.args!r} exited with {process.returncode}:\n"
                               f"{tail(log)}")
        try:
            with urllib.request.urlopen(url, timeout=2):
                return
        except urllib.error.HTTPError:
            return
        except OSError:
            time.sleep(0.05)
    raise RuntimeError(f"no answer from {url} within {timeout} s:\n{tail(log)}")


def tail(log: Path, chars: int = 4000) -> str:
    try:
        return log.read_text(errors="replace")[-chars:]
    except OSError:
        return "(no log)"


def stop(process: subprocess.Popen[bytes] | None, sig: int = signal.SIGTERM) -> None:
    if process is None or process.poll() is not None:
        return
    process.send_signal(sig)
    try:
        process.wait(timeout=STOP_TIMEOUT)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait(timeout=STOP_TIMEOUT)


@dataclass
class AppProcess:
    """One gunicorn process of the deployment, on its own port."""

    port: int
    log: Path
    env: dict[str, str]
    process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def spawn(self) -> None:
        """Start the process (its own process group: master and worker) without waiting."""
        with self.log.open("ab") as out:  # a restarted process's log follows the first
            self.process = subprocess.Popen(gunicorn_command(self.port), cwd=ROOT, env=self.env,
                                            stdout=out, stderr=subprocess.STDOUT,
                                            start_new_session=True)

    def start(self) -> AppProcess:
        self.spawn()
        assert self.process is not None
        wait_for(self.url + "/health", self.process, self.log)
        return self

    def alive(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def kill(self) -> None:
        """``kill -9`` of gunicorn's master and worker at once, as a lost host or an
        out-of-memory kill of the group would: no handler or exit hook runs. (The worker
        alone would be replaced by its master; the master alone would leave the worker to
        notice and drain.)"""
        if self.process is not None and self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(timeout=STOP_TIMEOUT)

    def terminate(self) -> int | None:
        """SIGTERM, gunicorn's graceful shutdown (the process drains); its exit status."""
        stop(self.process)
        return None if self.process is None else self.process.returncode


@dataclass
class Deployment:
    """nginx in front of ``processes`` gunicorn processes on one database and one Redis."""

    folder: Path
    database_url: str
    redis_url: str
    port: int
    processes: int = 2
    env: dict[str, str] = field(default_factory=dict)
    apps: list[AppProcess] = field(default_factory=list)
    nginx: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def server_env(self) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items()
               if k not in SCRUBBED and not k.startswith("FLASK_")}
        env.update(PYTHONUNBUFFERED="1", CIRCLES_INSTANCE_PATH=str(self.folder / "instance"),
                   DATABASE_URL=self.database_url, SOCKETIO_MESSAGE_QUEUE=self.redis_url,
                   RATELIMIT_STORAGE_URI=self.redis_url,
                   SESSION_COOKIE_SECURE="false")  # plain http on this machine
        env.update(self.env)
        env.setdefault("SECRET_KEY", secrets.token_hex(16))  # one key for every process
        return env

    def start(self, *, ports: Sequence[int] | None = None) -> Deployment:
        """Migrate, start every process (in parallel), then nginx in front of them."""
        self.folder.mkdir(parents=True, exist_ok=True)
        env = self.server_env()
        self.env["SECRET_KEY"] = env["SECRET_KEY"]
        migrate(env)
        ports = list(ports or [free_port() for _ in range(self.processes)])
        self.apps = [AppProcess(p, self.folder / f"app{n + 1}.log", env)
                     for n, p in enumerate(ports)]
        for app in self.apps:  # boot side by side, then wait for each
            app.spawn()
        try:
            for app in self.apps:
                assert app.process is not None
                wait_for(app.url + "/health", app.process, app.log)
            self.start_nginx()
        except BaseException:
            self.stop()
            raise
        return self

    def start_nginx(self) -> None:
        nginx = shutil.which("nginx") or "/usr/sbin/nginx"
        config = nginx_config(self.folder, [app.port for app in self.apps], self.port)
        checked = subprocess.run([nginx, "-t", "-p", str(self.folder), "-c", str(config)],
                                 capture_output=True, text=True, check=False)
        if checked.returncode != 0:
            raise RuntimeError(f"nginx -t refused the configuration:\n{checked.stderr}")
        self.nginx = subprocess.Popen([nginx, "-p", str(self.folder), "-c", str(config)],
                                      stderr=subprocess.DEVNULL)  # it logs to error.log
        wait_for(self.url + "/health", self.nginx, self.folder / "error.log")

    def stop(self) -> None:
        stop(self.nginx)
        for app in self.apps:
            app.terminate()


def migrate(env: dict[str, str]) -> None:
    """``flask db upgrade`` on the deployment's database."""
    done = subprocess.run([sys.executable, "-m", "flask", "--app", "circles", "db", "upgrade"],
                          cwd=ROOT, env=env, capture_output=True, text=True, check=False,
                          timeout=120)
    if done.returncode != 0:
        raise RuntimeError(f"flask db upgrade failed:\n{done.stderr[-4000:]}")


def ensure_database(server_url: str, name: str) -> str:
    """The URL of database ``name`` on the PostgreSQL server ``server_url``, created if
    missing."""
    import psycopg

    with psycopg.connect(server_url, autocommit=True) as admin:
        found = admin.execute("SELECT 1 FROM pg_database WHERE datname = %s", (name,)).fetchone()
        if found is None:
            admin.execute(f'CREATE DATABASE "{name}"')
    return urlunsplit(urlsplit(server_url)._replace(path=f"/{name}"))


def private_redis(folder: Path, port: int) -> tuple[subprocess.Popen[bytes], str]:
    """A ``redis-server`` of this deployment's own, keeping nothing on disk."""
    log = folder / "redis.log"
    with log.open("ab") as out:
        process = subprocess.Popen([shutil.which("redis-server") or "redis-server", "--port",
                                    str(port), "--bind", "127.0.0.1", "--save", "",
                                    "--appendonly", "no"], stdout=out, stderr=subprocess.STDOUT)
    deadline = time.monotonic() + START_TIMEOUT
    while time.monotonic() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5) as probe:
                probe.sendall(b"PING\r\n")
                if probe.recv(16).startswith(b"+PONG"):
                    return process, f"redis://127.0.0.1:{port}/0"
        except OSError:
            time.sleep(0.05)
    stop(process)
    raise RuntimeError(f"redis-server did not answer:\n{tail(log)}")


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m circles.deploy", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--port", type=int, default=18100,
                        help="nginx's port; the processes take the next ones")
    parser.add_argument("--processes", type=int, default=2)
    parser.add_argument("--postgres", default="postgresql://127.0.0.1:5432/postgres",
                        help="a PostgreSQL server on which databases may be created")
    parser.add_argument("--database", default="circles_local",
                        help="the database's name on it (created and migrated if missing)")
    parser.add_argument("--redis", help="a Redis URL (default: a private redis-server)")
    parser.add_argument("--demo", action="store_true", help="load the demo if empty")
    args = parser.parse_args(argv)
    last = args.port + args.processes + (1 if args.redis is None else 0)
    taken = [str(p) for p in range(args.port, last + 1) if not port_free(p)]
    if taken:  # checked first: nothing is started or created for a run that cannot bind
        parser.error(f"port {', '.join(taken)} already in use; this command needs ports "
                     f"{args.port} to {last}: choose another --port")
    folder = Path(tempfile.mkdtemp(prefix="circles-deploy-"))
    redis = None
    if args.redis is None:
        redis, args.redis = private_redis(folder, args.port + args.processes + 1)
    # The processes get this command's FLASK_* settings (and no other's: Deployment.server_env).
    settings = {k: v for k, v in os.environ.items() if k.startswith("FLASK_")}
    deployment = Deployment(folder, ensure_database(args.postgres, args.database), args.redis,
                            args.port, args.processes, env=settings)
    # SIGTERM ends the command through sys.exit, so what it started is stopped (finally).
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    try:
        deployment.start(ports=[args.port + 1 + n for n in range(args.processes)])
        if args.demo:
            subprocess.run([sys.executable, "-m", "flask", "--app", "circles", "demo", "load",
                            "--if-empty"], cwd=ROOT, env=deployment.server_env(), check=True)
        print(f"Circles on {deployment.url} (nginx) in front of "
              f"{', '.join(app.url for app in deployment.apps)}; logs in {folder}. "
              "Ctrl-C stops it.", flush=True)
        while all(app.alive() for app in deployment.apps):
            time.sleep(1)
        print("a process ended; stopping", file=sys.stderr)
    except KeyboardInterrupt:
        pass
    finally:
        deployment.stop()
        stop(redis)


if __name__ == "__main__":
    main()
