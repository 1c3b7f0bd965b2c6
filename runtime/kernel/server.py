"""The kernel process: a Unix-socket JSON-RPC server in front of ``Kernel``.

One asyncio event loop serves every connection (each a persistent stream of requests, answered as
they finish, matched by ``id``); jobs run on the worker threads. The peer's Unix user id comes from
the operating system (``SO_PEERCRED``), never from the client. SIGTERM (or SIGINT) stops accepting
connections and jobs, drains running jobs, and exits; queued jobs stay stored for the next start.
"""

from __future__ import annotations

import asyncio
import logging
import os
import signal
import socket
import struct
import time

from ...diagnostics import QmkIOError
from . import protocol
from .config import KernelConfig
from .errors import KernelBusy, MethodNotFound
from .service import Kernel

log = logging.getLogger("qmk.kernel")
requests_log = logging.getLogger("qmk.kernel.requests")

_PUBLIC = ("q_negotiate_caps",)
METHODS = ("q_negotiate_caps", "q_submit", "q_status", "q_wait", "q_cancel", "q_list_jobs", "q_result",
           "q_open_chan", "q_close_chan", "q_get_telemetry", "q_close_session")
MAX_INFLIGHT = 256  # async requests (q_wait) per connection before the kernel stops reading from it


def peer_uid(sock) -> int | None:
    try:
        _pid, uid, _gid = struct.unpack("3i", sock.getsockopt(socket.SOL_SOCKET, socket.SO_PEERCRED, 12))
        return uid
    except (OSError, AttributeError):
        return None


class Connection(asyncio.Protocol):
    def __init__(self, server: KernelServer):
        self.server = server
        self.framer = protocol.Framer(server.config.max_message_bytes)
        self.transport: asyncio.Transport | None = None
        self.uid: int | None = None
        self.inflight: set[asyncio.Task] = set()
        self.last_active = time.monotonic()
        self.eof = False
        self._paused = False

    def connection_made(self, transport) -> None:
        self.transport = transport
        self.uid = peer_uid(transport.get_extra_info("socket"))
        self.server.connections.add(self)

    def connection_lost(self, exc) -> None:
        self.server.buffered -= self.framer.pending
        self.server.connections.discard(self)
        for t in self.inflight:
            t.cancel()

    def data_received(self, data: bytes) -> None:
        self.last_active = time.monotonic()
        framer, server = self.framer, self.server
        before = framer.pending
        messages = framer.feed(data)
        server.buffered += framer.pending - before
        if server.buffered > server.config.max_buffered_bytes and framer.pending:
            # many clients each holding a large unfinished message: refuse this one rather than
            # let the kernel's memory grow with the number of connections
            server.buffered -= framer.pending
            framer.drop()
            self._send(protocol.encode(protocol.error_response(KernelBusy())))
        for msg in messages:
            self._answer(msg)

    def eof_received(self) -> bool:
        """The client closed its sending side: answer what it sent, then close."""
        self.eof = True
        for msg in self.framer.finish():
            self._answer(msg)
        self._maybe_close()
        return True

    def _call(self, method: str, params: dict):
        return self.server.call(method, params, self.uid)

    def _answer(self, msg) -> None:
        if msg is protocol.TOO_LARGE:
            self._send(protocol.too_large(self.framer.max_bytes))
            return
        if not msg.strip():
            return
        out = protocol.handle(msg, self._call, self.server.config.max_batch)
        if isinstance(out, bytes) or out is None:
            self._send(out)
            return
        task = asyncio.ensure_future(out)
        self.inflight.add(task)
        task.add_done_callback(self._done)
        if len(self.inflight) >= MAX_INFLIGHT and not self._paused:
            self._paused = True
            self.transport.pause_reading()

    def _done(self, task: asyncio.Task) -> None:
        self.inflight.discard(task)
        if not task.cancelled() and task.exception() is None:
            self._send(task.result())
        self.last_active = time.monotonic()
        if self._paused and len(self.inflight) < MAX_INFLIGHT // 2:
            self._paused = False
            self.transport.resume_reading()
        self._maybe_close()

    def _send(self, data: bytes | None) -> None:
        if data and self.transport is not None and not self.transport.is_closing():
            self.transport.write(data)

    def _maybe_close(self) -> None:
        if self.eof and not self.inflight and self.transport is not None:
            self.transport.close()

    def pause_writing(self) -> None:  # the client is not reading its answers: stop reading its requests
        self.transport.pause_reading()

    def resume_writing(self) -> None:
        if not self._paused:
            self.transport.resume_reading()

    def idle_for(self, now: float) -> float:
        return 0.0 if self.inflight else now - self.last_active


class KernelServer:
    def __init__(self, config: KernelConfig, socket_path: str, state_dir: str, *, durable: bool = False):
        self.config = config
        self.socket_path = socket_path
        self.kernel = Kernel(config, state_dir, durable=durable)
        self.connections: set[Connection] = set()
        self.buffered = 0  # bytes of unfinished messages held for all connections
        self._stop: asyncio.Event | None = None

    def call(self, method: str, params: dict, uid: int | None):
        if requests_log.isEnabledFor(logging.DEBUG):
            requests_log.debug("uid %s: %s", uid, method[:100])
        k = self.kernel
        if method == "q_negotiate_caps":
            return k.q_negotiate_caps(params, uid)
        if method not in METHODS:
            raise MethodNotFound(f"no method '{method[:100]}'")
        sess = k.sessions.check(params)
        return getattr(k, method)(sess, params)

    def _bind(self) -> socket.socket:
        """Listen on the socket path, born owner-only; a stale socket file is replaced, a live one kept."""
        path = self.socket_path
        if os.path.exists(path):
            probe = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            try:
                probe.connect(path)
                raise QmkIOError(f"{path}: a kernel is already listening on this socket")
            except (ConnectionRefusedError, FileNotFoundError):
                os.unlink(path)  # a stale socket from a kernel that died
            except OSError as e:
                raise QmkIOError(f"{path}: {e.strerror or e}") from None
            finally:
                probe.close()
        sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        old = os.umask(0o177)  # born owner-only: no window in which others could connect
        try:
            sock.bind(path)
            os.chmod(path, self.config.socket_mode)
            sock.listen(1024)
        except OSError as e:
            sock.close()
            raise QmkIOError(f"{path}: cannot listen here: {e.strerror or e}") from None
        finally:
            os.umask(old)
        sock.setblocking(False)
        return sock

    async def serve(self, ready=None) -> None:
        loop = asyncio.get_running_loop()
        self._stop = asyncio.Event()
        sock = self._bind()  # before recovery: a kernel that cannot listen must not touch the jobs
        summary = self.kernel.start(loop)
        server = await loop.create_unix_server(lambda: Connection(self), sock=sock)
        for sig in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(sig, self._stop.set)
        log.info("qmk-kernel listening on %s (%d workers; recovered %s)", self.socket_path,
                 self.config.worker_count(), summary)
        if ready is not None:
            ready()
        sweeper = asyncio.ensure_future(self._sweep_idle())
        await self._stop.wait()
        log.info("stopping: no new work; draining running jobs (up to %.0f s)", self.config.drain_timeout)
        self.kernel.accepting = False
        server.close()
        drained = await asyncio.to_thread(self.kernel.runner.shutdown, self.config.drain_timeout)
        await asyncio.sleep(0)  # let the last completions reach their waiters
        sweeper.cancel()
        for conn in list(self.connections):
            conn.transport.close()
        self.kernel.audit.append("kernel_stop", drained=drained)
        self.kernel.close()
        try:
            os.unlink(self.socket_path)
        except OSError:
            pass
        log.info("stopped (%s)", "all running jobs finished" if drained else "running jobs left for restart")

    async def _sweep_idle(self) -> None:
        limit = self.config.idle_timeout
        while True:
            await asyncio.sleep(min(5.0, limit / 2))
            now = time.monotonic()
            for conn in list(self.connections):
                if conn.idle_for(now) > limit:
                    conn.transport.close()


def serve(config: KernelConfig, socket_path: str, state_dir: str, *, durable: bool = False) -> None:
    import sys

    # The store writer and the worker threads (reading verified programs at VALIDATING, storing
    # results) run Python too; by default a thread keeps the GIL for 5 ms before the event loop gets it
    # back, which would put 5 ms steps into answers' latency. 0.5 ms keeps the loop responsive.
    sys.setswitchinterval(0.0005)
    asyncio.run(KernelServer(config, socket_path, state_dir, durable=durable).serve())
