"""The durable job store: SQLite in WAL mode in the state directory, written with group commit.

Why nothing accepted is lost: ``q_submit`` answers only after the job's row (with its program and
its seed) is committed, and a final state is shown to anyone only after it is committed with its
result. With WAL and ``synchronous=NORMAL`` a committed transaction survives the death of the process
(SIGKILL); only a power loss can lose the last transactions, and ``durable=True``
(``synchronous=FULL``) closes that gap at the cost of an fsync per commit.

Writes go through one writer thread that commits everything queued so far in one transaction (group
commit; a small batch waits half a millisecond for company) and then runs each write's callback, so
many concurrent submissions share one commit instead of taking turns on a lock. Writes are applied
in the order they were queued, so a job's RUNNING row can never overtake its insert or its final
state. Reads use their own connection (WAL readers see the
last commit and never block the writer).
"""

from __future__ import annotations

import os
import queue
import sqlite3
import threading
import time
from collections.abc import Callable

from .jobs import FINAL, Job

DB_FILE = "jobs.sqlite3"
MAX_BATCH = 2000
SMALL_BATCH = 8  # a batch this small waits GATHER_S once for more: a commit costs ~5 row inserts
GATHER_S = 0.0005

_SCHEMA = """
CREATE TABLE IF NOT EXISTS jobs (
    id TEXT PRIMARY KEY, tenant TEXT NOT NULL, seq INTEGER NOT NULL, state TEXT NOT NULL,
    priority INTEGER NOT NULL, shots INTEGER NOT NULL, seed INTEGER NOT NULL, qubits INTEGER NOT NULL,
    timeout REAL, deadline REAL, on_interrupt TEXT NOT NULL, program BLOB NOT NULL,
    submitted REAL NOT NULL, started REAL, finished REAL, reason TEXT, attempts INTEGER NOT NULL,
    keep_shots INTEGER NOT NULL, result BLOB);
CREATE INDEX IF NOT EXISTS jobs_by_tenant ON jobs (tenant, seq);
CREATE INDEX IF NOT EXISTS jobs_by_state ON jobs (state);
CREATE TABLE IF NOT EXISTS sessions (
    id TEXT PRIMARY KEY, tenant TEXT NOT NULL, caps TEXT NOT NULL, created REAL NOT NULL,
    expires REAL NOT NULL, closed INTEGER NOT NULL DEFAULT 0);
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
"""

_STATUS_COLS = "id, tenant, seq, state, priority, shots, submitted, started, finished, reason"
_UPDATE = "UPDATE jobs SET state=?, started=?, finished=?, reason=?, attempts=?, result=? WHERE id=?"
Done = Callable[[BaseException | None], None]


def _connect(path: str, durable: bool) -> sqlite3.Connection:
    db = sqlite3.connect(path, check_same_thread=False, isolation_level=None, timeout=30)
    db.execute("PRAGMA journal_mode=WAL")
    db.execute(f"PRAGMA synchronous={'FULL' if durable else 'NORMAL'}")
    return db


class Store:
    def __init__(self, state_dir: str, *, durable: bool = False, before_commit: Callable[[], None] | None = None):
        self._before_commit = before_commit  # the audit log's flush: its records reach disk first
        path = os.path.join(state_dir, DB_FILE)
        os.close(os.open(path, os.O_RDWR | os.O_CREAT, 0o600))
        self._db = _connect(path, durable)
        self._db.executescript(_SCHEMA)
        self._rdb = _connect(path, durable)
        self._lock = threading.Lock()  # guards the read connection
        self._queue: queue.SimpleQueue = queue.SimpleQueue()
        self._writer = threading.Thread(target=self._write_loop, name="qmk-store", daemon=True)
        self._writer.start()

    def close(self) -> None:
        """Commit what is queued, stop the writer, close both connections."""
        if self._writer.is_alive():
            self._queue.put(None)
            self._writer.join()
        with self._lock:
            self._rdb.close()
        self._db.close()

    # ------------------------------------------------------------------ writing
    def write(self, statements: list[tuple[str, tuple]], done: Done | None = None) -> None:
        """Queue statements to commit together; ``done(error)`` runs on the writer thread after commit."""
        self._queue.put((statements, done))

    def flush(self) -> None:
        """Wait until everything queued so far is committed."""
        ev = threading.Event()
        self.write([], lambda _err: ev.set())
        ev.wait()

    def _write_loop(self) -> None:
        q = self._queue
        while True:
            batch = [q.get()]
            for _ in range(2):  # drain; if that found little, give others GATHER_S to add to the batch
                while len(batch) < MAX_BATCH:
                    try:
                        batch.append(q.get_nowait())
                    except queue.Empty:
                        break
                if len(batch) >= SMALL_BATCH or None in batch:
                    break
                time.sleep(GATHER_S)
            stop = None in batch
            items = [b for b in batch if b is not None]
            error = self._commit(items)
            for _stmts, done in items:
                if done is not None:
                    done(error)
            if stop:
                return

    def _commit(self, items: list) -> BaseException | None:
        db = self._db
        try:
            if self._before_commit is not None:
                self._before_commit()
            db.execute("BEGIN")
            for stmts, _done in items:
                for sql, args in stmts:
                    db.execute(sql, args)
            db.execute("COMMIT")
            return None
        except Exception as e:  # e.g. disk full: nothing in the batch is stored, every caller is told
            if db.in_transaction:
                db.execute("ROLLBACK")
            return e

    def _read(self, sql: str, args: tuple = ()) -> list[tuple]:
        with self._lock:
            return self._rdb.execute(sql, args).fetchall()

    # ------------------------------------------------------------------ jobs
    @staticmethod
    def insert_stmt(j: Job) -> tuple[str, tuple]:
        return (
            "INSERT INTO jobs VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,NULL)",
            (j.id, j.tenant, j.seq, j.state, j.priority, j.shots, j.seed, j.qubits, j.timeout, j.deadline,
             j.on_interrupt, j.program, j.submitted, j.started, j.finished, j.reason, j.attempts, j.keep_shots),
        )

    @staticmethod
    def update_stmt(j: Job, state: str, result: bytes | None = None) -> tuple[str, tuple]:
        return _UPDATE, (state, j.started, j.finished, j.reason, j.attempts, result, j.id)

    @staticmethod
    def audit_head_stmt(head: tuple[int, str]) -> tuple[str, tuple]:
        return "INSERT OR REPLACE INTO meta VALUES ('audit_head', ?)", (f"{head[0]} {head[1]}",)

    def job_status(self, job_id: str, tenant: str) -> dict | None:
        rows = self._read(f"SELECT {_STATUS_COLS} FROM jobs WHERE id=? AND tenant=?", (job_id, tenant))
        return _status(rows[0]) if rows else None

    def job_result(self, job_id: str, tenant: str) -> tuple[str, str | None, bytes | None] | None:
        rows = self._read("SELECT state, reason, result FROM jobs WHERE id=? AND tenant=?", (job_id, tenant))
        return rows[0] if rows else None

    def list_jobs(self, tenant: str, state: str | None, limit: int, before: int | None) -> list[dict]:
        sql = f"SELECT {_STATUS_COLS} FROM jobs WHERE tenant=?"
        args: list = [tenant]
        if state is not None:
            sql += " AND state=?"
            args.append(state)
        if before is not None:
            sql += " AND seq<?"
            args.append(before)
        sql += " ORDER BY seq DESC LIMIT ?"
        args.append(limit)
        return [_status(r) for r in self._read(sql, tuple(args))]

    def state_counts(self, tenant: str) -> dict[str, int]:
        rows = self._read("SELECT state, COUNT(*) FROM jobs WHERE tenant=? GROUP BY state", (tenant,))
        return {state: n for state, n in rows}

    def shots_done(self, tenant: str) -> int:
        rows = self._read("SELECT COALESCE(SUM(shots), 0) FROM jobs WHERE tenant=? AND state='COMPLETED'", (tenant,))
        return int(rows[0][0])

    def unfinished(self) -> list[Job]:
        """Every job not in a final state, oldest first (for a restart)."""
        rows = self._read(
            "SELECT id, tenant, seq, program, qubits, shots, seed, priority, timeout, deadline, on_interrupt,"
            " state, submitted, started, finished, reason, attempts, keep_shots FROM jobs WHERE state NOT IN (?,?,?,?)"
            " ORDER BY seq",
            tuple(FINAL),
        )
        return [Job(*r[:-1], keep_shots=bool(r[-1])) for r in rows]

    def max_seq(self) -> int:
        return int(self._read("SELECT COALESCE(MAX(seq), 0) FROM jobs")[0][0])

    # ------------------------------------------------------------------ sessions
    @staticmethod
    def session_stmt(sid: str, tenant: str, caps: str, created: float, expires: float) -> tuple[str, tuple]:
        return "INSERT INTO sessions VALUES (?,?,?,?,?,0)", (sid, tenant, caps, created, expires)

    def session(self, sid: str) -> tuple[str, str, float, int] | None:
        rows = self._read("SELECT tenant, caps, expires, closed FROM sessions WHERE id=?", (sid,))
        return rows[0] if rows else None

    @staticmethod
    def close_session_stmt(sid: str) -> tuple[str, tuple]:
        return "UPDATE sessions SET closed=1 WHERE id=?", (sid,)

    # ------------------------------------------------------------------ meta
    def audit_head(self) -> tuple[int, str] | None:
        rows = self._read("SELECT value FROM meta WHERE key='audit_head'")
        if not rows:
            return None
        seq, digest = rows[0][0].split()
        return int(seq), digest


def _status(r: tuple) -> dict:
    out = {"id": r[0], "tenant": r[1], "seq": r[2], "state": r[3], "priority": r[4], "shots": r[5],
           "submitted": r[6]}
    for key, value in zip(("started", "finished", "reason"), r[7:]):
        if value is not None:
            out[key] = value
    return out


__all__ = ["DB_FILE", "Store"]
