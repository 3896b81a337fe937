"""Fixtures: a real drover binary (built once), real servers and a real Redis.

Nothing here is a fake: the servers are ``drover server`` processes on free
loopback ports with temporary data directories; singlenode mode adds a real
``redis-server`` and a real ``drover worker``. Without redis-server (or go, to
build the binary) the tests that need it are skipped, and fail when CI=true:
a missing service must never pass CI silently.

Environment:
    DROVER_TEST_BIN: a drover binary to use instead of building one.
"""

from __future__ import annotations

import json
import os
import pathlib
import shutil
import signal
import socket
import subprocess
import time
import urllib.request
from typing import Dict, Iterator, List, Optional

import pytest

REPO = pathlib.Path(__file__).resolve().parents[3]
EXAMPLES = REPO / "examples"
CI = os.environ.get("CI") == "true"

# Short heartbeats and leases so a singlenode worker is seen within seconds.
FAST_ENV = {
    "DROVER_WORKER_HEARTBEAT_INTERVAL": "1",
    "DROVER_WORKER_LEASE_PERIOD": "5",
    "DROVER_WORKER_SUSPECT_PERIOD": "3",
    "DROVER_WORKER_HEALTHY_RESPONSE_PERIOD": "20",
    "DROVER_WORKER_GRACE_PERIOD": "2",
    "DROVER_LOG_LEVEL": "warn",
}


def missing(what: str) -> None:
    """Skips the test, or fails it under CI=true."""
    if CI:
        pytest.fail(f"{what} (CI=true, so this fails rather than skips; run scripts/install-deps.sh)", pytrace=False)
    pytest.skip(what)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def clean_env(extra: Dict[str, str]) -> Dict[str, str]:
    """The environment without the caller's DROVER_ variables, plus extra."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("DROVER_")}
    env.update(extra)
    return env


class Proc:
    """A process started by a test, its output kept in a log file."""

    def __init__(self, name: str, args: List[str], env: Dict[str, str], log: pathlib.Path) -> None:
        self.name = name
        self.log_path = log
        self._log = open(log, "wb")
        # Its own process group, so stop() reaches the experiments it started.
        self.p = subprocess.Popen(args, env=env, stdout=self._log, stderr=subprocess.STDOUT, start_new_session=True)

    def alive(self) -> bool:
        return self.p.poll() is None

    def log(self) -> str:
        try:
            return self.log_path.read_text(errors="replace")[-4000:]
        except OSError:
            return ""

    def stop(self) -> None:
        if self.p.poll() is None:
            try:
                os.killpg(self.p.pid, signal.SIGTERM)
            except ProcessLookupError:
                pass
            try:
                self.p.wait(15)
            except subprocess.TimeoutExpired:
                try:
                    os.killpg(self.p.pid, signal.SIGKILL)
                except ProcessLookupError:
                    pass
                self.p.wait(5)
        self._log.close()


def wait_until(what: str, timeout: float, cond, proc: Optional[Proc] = None) -> None:
    deadline = time.monotonic() + timeout
    while True:
        try:
            if cond():
                return
        except Exception:
            pass
        if proc is not None and not proc.alive():
            raise RuntimeError(f"{proc.name} exited while waiting for {what}:\n{proc.log()}")
        if time.monotonic() > deadline:
            tail = f"\n--- log of {proc.name} ---\n{proc.log()}" if proc else ""
            raise RuntimeError(f"timed out after {timeout}s waiting for {what}{tail}")
        time.sleep(0.05)


def http_ok(url: str, token: Optional[str] = None) -> bool:
    req = urllib.request.Request(url)
    if token:
        req.add_header("Authorization", "Bearer " + token)
    with urllib.request.urlopen(req, timeout=2) as r:
        return r.status == 200


class Server:
    """A ``drover server`` process."""

    def __init__(self, binary: str, workdir: pathlib.Path, env: Dict[str, str], token: Optional[str] = None) -> None:
        self.token = token
        self.dir = workdir
        workdir.mkdir(parents=True, exist_ok=True)
        last = None
        for _ in range(5):  # a free port may be taken between probe and bind
            port = free_port()
            self.url = f"http://127.0.0.1:{port}"
            e = dict(FAST_ENV)
            e.update(env)
            e.update({"DROVER_DATA_DIRECTORY": str(workdir / "data"), "DROVER_LISTEN_ADDRESS": f"127.0.0.1:{port}"})
            if token:
                e["DROVER_API_TOKEN"] = token
            self.proc = Proc("server", [binary, "server"], clean_env(e), workdir / "server.log")
            try:
                wait_until("server up", 30, lambda: http_ok(self.url + "/healthz"), self.proc)
                return
            except RuntimeError as err:
                last = err
                self.proc.stop()
        raise RuntimeError(f"cannot start drover server: {last}")

    def stop(self) -> None:
        self.proc.stop()


@pytest.fixture(scope="session")
def drover_bin(tmp_path_factory) -> str:
    """The drover binary: $DROVER_TEST_BIN, or built once from ./cmd/drover."""
    given = os.environ.get("DROVER_TEST_BIN")
    if given:
        return given
    go = shutil.which("go")
    if go is None:
        missing("go is not on PATH; it builds the drover binary the tests run")
    out = tmp_path_factory.mktemp("bin") / "drover"
    env = dict(os.environ, CGO_ENABLED="0")
    res = subprocess.run([go, "build", "-o", str(out), "./cmd/drover"], cwd=REPO, env=env, capture_output=True, text=True)
    if res.returncode != 0:
        pytest.fail(f"go build ./cmd/drover failed:\n{res.stderr}", pytrace=False)
    return str(out)


@pytest.fixture(scope="session")
def mp_server(drover_bin, tmp_path_factory) -> Iterator[Server]:
    """A multiprocessing server without a token."""
    s = Server(drover_bin, tmp_path_factory.mktemp("mp"), {"DROVER_WORKER_MODE": "multiprocessing"})
    yield s
    s.stop()


@pytest.fixture(scope="session")
def token_server(drover_bin, tmp_path_factory) -> Iterator[Server]:
    """A multiprocessing server that requires an API token."""
    s = Server(drover_bin, tmp_path_factory.mktemp("tok"), {"DROVER_WORKER_MODE": "multiprocessing"}, token="py-test-token-0123456789abcdef")
    yield s
    s.stop()


class Redis:
    """A real redis-server on a free loopback port."""

    def __init__(self, binary: str, workdir: pathlib.Path) -> None:
        last = None
        for _ in range(5):
            self.port = free_port()
            args = [binary, "--port", str(self.port), "--bind", "127.0.0.1", "--dir", str(workdir), "--save", "",
                    "--appendonly", "no", "--daemonize", "no", "--protected-mode", "no"]
            self.proc = Proc("redis-server", args, clean_env({}), workdir / "redis.log")
            try:
                wait_until("redis PING", 15, self._ping, self.proc)
                return
            except RuntimeError as err:
                last = err
                self.proc.stop()
        raise RuntimeError(f"cannot start redis-server: {last}")

    def _ping(self) -> bool:
        with socket.create_connection(("127.0.0.1", self.port), timeout=1) as s:
            s.sendall(b"PING\r\n")
            return s.recv(16).startswith(b"+PONG")

    def stop(self) -> None:
        self.proc.stop()


@pytest.fixture(scope="session")
def redis_server(tmp_path_factory) -> Iterator[Redis]:
    binary = shutil.which("redis-server")
    if binary is None:
        missing("redis-server is not on PATH")
    r = Redis(binary, tmp_path_factory.mktemp("redis"))
    yield r
    r.stop()


class Cluster:
    """A singlenode server with one real worker, both on one Redis."""

    def __init__(self, binary: str, redis: Redis, workdir: pathlib.Path) -> None:
        shared = {"DROVER_WORKER_MODE": "singlenode", "DROVER_REDIS_PORT": str(redis.port)}
        self.server = Server(binary, workdir / "server", shared)
        self.url = self.server.url
        (workdir / "worker").mkdir()
        wenv = dict(FAST_ENV)
        wenv.update(shared)
        wenv.update({"DROVER_DATA_DIRECTORY": str(workdir / "worker"), "DROVER_WORKER_NAME": "py-worker-1"})
        self.worker = Proc("worker", [binary, "worker"], clean_env(wenv), workdir / "worker.log")

        def healthy() -> bool:
            with urllib.request.urlopen(self.url + "/api/v1/system/info", timeout=2) as r:
                info = json.load(r)
            return any(w.get("health") == "healthy" for w in info.get("workers") or [])

        wait_until("a healthy worker", 30, healthy, self.worker)

    def stop(self) -> None:
        self.worker.stop()
        self.server.stop()


@pytest.fixture(scope="session")
def sn_cluster(drover_bin, redis_server, tmp_path_factory) -> Iterator[Cluster]:
    c = Cluster(drover_bin, redis_server, tmp_path_factory.mktemp("sn"))
    yield c
    c.stop()


@pytest.fixture(params=["multiprocessing", "singlenode"])
def any_server(request):
    """The URL of a multiprocessing server, then of a singlenode cluster."""
    if request.param == "multiprocessing":
        return request.getfixturevalue("mp_server").url
    return request.getfixturevalue("sn_cluster").url


@pytest.fixture(scope="session")
def pd():
    try:
        import pandas
    except ImportError:
        missing("pandas is not installed (Debian: python3-pandas)")
    return pandas


@pytest.fixture
def iris_path() -> pathlib.Path:
    return EXAMPLES / "iris.csv"
