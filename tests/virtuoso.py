"""A private Virtuoso Open Source instance on loopback, for development, tests and bench.

    scripts/virtuoso start [DIR]    start one (in a new temp folder unless DIR); prints its folder
    scripts/virtuoso url DIR        its SPARQL endpoint, e.g. http://127.0.0.1:40123/sparql
    scripts/virtuoso env DIR        STKG_STORE, STKG_UPDATE_URL, STKG_STORE_USER/PASSWORD lines
    scripts/virtuoso stop DIR       stop it cleanly and remove the folder

Everything lives in one folder: `virtuoso.ini`, the database, its log, and `instance.json`
(ports, process id, password). Both ports are free loopback ports chosen at start (never 8890
or 1111); the dba password is set when the database is created, before the server first
listens (docs/remote-store.md has the facts behind each setting). Standard library only, so it
runs before stkg is installed. Needs Debian's `virtuoso-opensource-7-bin` (`virtuoso-t`,
`isql-vt`).
"""

from __future__ import annotations

import contextlib
import json
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterator
from dataclasses import asdict, dataclass
from pathlib import Path

PACKAGE = "virtuoso-opensource-7-bin"
SERVER, ISQL = "virtuoso-t", "isql-vt"

# ResultSetMaxRows is the cap Virtuoso cuts answers at without a word (Debian's default is
# 10,000); stkg detects a cut (the probe, and X-SPARQL-MaxRows on each answer), but a private
# instance for tests raises it so that validation at 10,000 systems fits.
INI = """\
[Database]
DatabaseFile = {dir}/virtuoso.db
ErrorLogFile = {dir}/virtuoso.log
LockFile = {dir}/virtuoso.lck
TransactionFile = {dir}/virtuoso.trx
xa_persistent_file = {dir}/virtuoso.pxa
ErrorLogLevel = 7
FileExtend = 200
MaxCheckpointRemap = 2000
Striping = 0
TempStorage = TempDatabase

[TempDatabase]
DatabaseFile = {dir}/virtuoso-temp.db
TransactionFile = {dir}/virtuoso-temp.trx
MaxCheckpointRemap = 2000
Striping = 0

[Parameters]
ServerPort = 127.0.0.1:{isql_port}
DisableUnixSocket = 1
ServerThreads = 20
CheckpointInterval = 60
NumberOfBuffers = {buffers}
MaxDirtyBuffers = {dirty}
MaxStaticCursorRows = 5000
CheckpointAuditTrail = 0
AllowOSCalls = 0
DirsAllowed = ., {dir}
SchedulerInterval = 10
ThreadCleanupInterval = 0
ThreadThreshold = 10
ResourcesCleanupInterval = 0
FreeTextBatchSize = 100000
SingleCPU = 0
PrefixResultNames = 0
RdfFreeTextRulesSize = 100
IndexTreeMaps = 256
MaxMemPoolSize = 200000000
DefaultIsolation = 2

[HTTPServer]
ServerPort = 127.0.0.1:{http_port}
ServerRoot = {dir}/www
ServerThreads = 10
MaxKeepAlives = 10
KeepAliveTimeout = 10
MaxCachedProxyConnections = 10
ProxyConnectionCacheTimeout = 15
HTTPThreadSize = 280000
HttpPrintWarningsInOutput = 0
Charset = UTF-8
MaintenancePage = atomic.html
EnabledGzipContent = 1

[AutoRepair]
BadParentLinks = 0

[Client]
SQL_PREFETCH_ROWS = 100
SQL_PREFETCH_BYTES = 16000
SQL_QUERY_TIMEOUT = 0
SQL_TXN_TIMEOUT = 0

[SPARQL]
ResultSetMaxRows = {max_rows}
MaxQueryCostEstimationTime = 0
MaxQueryExecutionTime = {max_seconds}
DefaultQuery = ASK {{}}
DeferInferenceRulesInit = 0
"""


@dataclass
class Instance:
    """A running private Virtuoso: its folder, ports, password and process."""

    dir: str
    http_port: int
    isql_port: int
    password: str
    pid: int = 0
    max_rows: int = 0

    @property
    def url(self) -> str:
        """The SPARQL query endpoint (anonymous, read-only)."""
        return f"http://127.0.0.1:{self.http_port}/sparql"

    @property
    def update_url(self) -> str:
        """The endpoint for SPARQL Update (Digest auth as dba)."""
        return f"http://127.0.0.1:{self.http_port}/sparql-auth"

    def env(self) -> dict[str, str]:
        """What `stkg` reads to use this instance as its store."""
        return {
            "STKG_STORE": self.url,
            "STKG_UPDATE_URL": self.update_url,
            "STKG_STORE_USER": "dba",
            "STKG_STORE_PASSWORD": self.password,
        }

    def isql(self, sql: str) -> str:
        """Run SQL as dba; isql-vt exits 0 even when the SQL fails, so its output is read."""
        done = subprocess.run(
            [ISQL, f"127.0.0.1:{self.isql_port}", "dba", self.password, f"EXEC={sql}"],
            capture_output=True,
            text=True,
            timeout=120,
        )
        if "*** Error" in done.stdout + done.stderr or done.returncode != 0:
            raise RuntimeError(f"isql-vt {sql!r}: {done.stdout}{done.stderr}".strip())
        return done.stdout

    def save(self) -> None:
        (Path(self.dir) / "instance.json").write_text(json.dumps(asdict(self)))

    @classmethod
    def read(cls, folder: str | Path) -> Instance:
        path = Path(folder) / "instance.json"
        if not path.is_file():
            raise SystemExit(f"{folder}: no private Virtuoso here (no instance.json)")
        return cls(**json.loads(path.read_text()))


def installed() -> bool:
    return shutil.which(SERVER) is not None and shutil.which(ISQL) is not None


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _answers(url: str) -> bool:
    try:
        with urllib.request.urlopen(
            url + "?" + urllib.parse.urlencode({"query": "ASK {}"}), timeout=2
        ) as reply:
            return reply.status == 200
    except (urllib.error.URLError, OSError):
        return False


def start(
    folder: str | Path | None = None,
    *,
    max_rows: int = 1_000_000,
    max_seconds: int = 0,
    buffers: int = 20_000,
    wait: float = 60,
) -> Instance:
    """Create a database in `folder` (a new temp folder by default) with a random dba
    password, start the server on two free loopback ports and wait until it answers."""
    if not installed():
        raise RuntimeError(
            f"Virtuoso is not installed: apt-get install -y --no-install-recommends {PACKAGE}"
        )
    where = Path(folder) if folder else Path(tempfile.mkdtemp(prefix="stkg-virtuoso-"))
    where.mkdir(parents=True, exist_ok=True)
    (where / "www").mkdir(exist_ok=True)
    instance = Instance(
        str(where.resolve()), _free_port(), _free_port(), "stkg" + secrets.token_hex(6), 0, max_rows
    )
    ini = where / "virtuoso.ini"
    ini.write_text(
        INI.format(
            dir=instance.dir,
            http_port=instance.http_port,
            isql_port=instance.isql_port,
            buffers=buffers,
            dirty=buffers * 3 // 4,
            max_rows=max_rows,
            max_seconds=max_seconds,
        )
    )
    log = (where / "server.out").open("ab")
    base = [SERVER, "+foreground", "+configfile", str(ini)]
    # Create the database (the checkpoint-only run exits before it listens), then set the
    # passwords (on a database made in the same run the change does not hold, nor does a
    # password longer than 16 characters: measured):
    # the server never listens with dba's password "dba".
    for extra in (
        ["+checkpoint-only"],
        ["+pwdold", "dba", "+pwddba", instance.password, "+pwddav", instance.password],
    ):
        done = subprocess.run(
            [*base, *extra], stdout=log, stderr=subprocess.STDOUT, cwd=where, timeout=120
        )
        if done.returncode != 0:
            raise RuntimeError(f"virtuoso-t could not set up its database: {where}/virtuoso.log")
    process = subprocess.Popen(
        base, stdout=log, stderr=subprocess.STDOUT, cwd=where, start_new_session=True
    )
    instance.pid = process.pid
    instance.save()
    deadline = time.monotonic() + wait
    while not _answers(instance.url):
        if process.poll() is not None or time.monotonic() > deadline:
            stop(instance)
            raise RuntimeError(f"Virtuoso did not start; see {where}/virtuoso.log")
        time.sleep(0.2)
    return instance


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    with contextlib.suppress(ChildProcessError):
        if os.waitpid(pid, os.WNOHANG)[0] == pid:  # our child, now reaped
            return False
    return True


def stop(instance: Instance, *, remove: bool = True) -> None:
    """Shut the server down cleanly (a checkpoint, then exit), killing it if it will not
    go; then remove its folder."""
    if instance.pid and _alive(instance.pid):
        with contextlib.suppress(RuntimeError, subprocess.TimeoutExpired, OSError):
            instance.isql("shutdown")
        deadline = time.monotonic() + 15
        while _alive(instance.pid) and time.monotonic() < deadline:
            time.sleep(0.1)
        if _alive(instance.pid):
            with contextlib.suppress(ProcessLookupError):
                os.kill(instance.pid, signal.SIGKILL)
            while _alive(instance.pid) and time.monotonic() < deadline + 5:
                time.sleep(0.1)
    if remove:
        shutil.rmtree(instance.dir, ignore_errors=True)


@contextlib.contextmanager
def running(**settings: int) -> Iterator[Instance]:
    """A private instance for the length of a `with` block."""
    instance = start(**settings)
    try:
        yield instance
    finally:
        stop(instance)


def main(argv: list[str]) -> int:
    if not argv or argv[0] not in ("start", "stop", "url", "env"):
        print(__doc__.split("\n\n")[1], file=sys.stderr)
        return 2
    command, rest = argv[0], argv[1:]
    if command == "start":
        instance = start(rest[0] if rest else None)
        print(instance.dir)
        return 0
    if not rest:
        print(f"scripts/virtuoso {command} DIR", file=sys.stderr)
        return 2
    instance = Instance.read(rest[0])
    if command == "url":
        print(instance.url)
    elif command == "env":
        for name, value in instance.env().items():
            print(f"{name}={value}")
    else:
        stop(instance)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
