"""qSyscall errors: one exception class per JSON-RPC error code.

The server turns an exception into an error response by its *type* (``exc.code``), never by its
message, so a message can be reworded without changing what clients see as the error code. Codes follow
JSON-RPC 2.0 for protocol errors and the QMK ranges for the rest (docs/qsyscall.md lists them all):

    -32700 parse error, -32600 invalid request, -32601 method not found, -32602 invalid params,
    -32603 internal error, -32001 insufficient capabilities, -321xx authentication, -322xx graph,
    -323xx job, -324xx checkpoint, -325xx channel, -326xx resource (from -32610; -32600..-32603 are
    JSON-RPC's own).
"""

from __future__ import annotations

from typing import Any


class KernelError(Exception):
    """Base of every error a syscall returns. ``data`` is sent as the JSON-RPC error's ``data``."""

    code = -32603
    title = "internal error"

    def __init__(self, message: str | None = None, data: Any = None):
        super().__init__(message or self.title)
        self.message = message or self.title
        self.data = data

    def to_json(self) -> dict:
        err: dict = {"code": self.code, "message": self.message}
        if self.data is not None:
            err["data"] = self.data
        return err


def _err(name: str, code: int, title: str, base: type = KernelError) -> type:
    return type(name, (base,), {"code": code, "title": title, "__doc__": f"{title} ({code})."})


# JSON-RPC 2.0
ParseError = _err("ParseError", -32700, "parse error")
InvalidRequest = _err("InvalidRequest", -32600, "invalid request")
MethodNotFound = _err("MethodNotFound", -32601, "method not found")
InvalidParams = _err("InvalidParams", -32602, "invalid params")
InternalError = _err("InternalError", -32603, "internal error")

# capabilities
InsufficientCaps = _err("InsufficientCaps", -32001, "insufficient capabilities")


class AuthError(KernelError):
    code = -32100
    title = "authentication failed"


BadToken = _err("BadToken", -32101, "invalid session token", AuthError)
TokenExpired = _err("TokenExpired", -32102, "session token expired", AuthError)
SessionClosed = _err("SessionClosed", -32103, "session closed", AuthError)


class GraphError(KernelError):
    code = -32200
    title = "program failed verification"


GraphMalformed = _err("GraphMalformed", -32201, "program could not be read", GraphError)
GraphUnsupported = _err("GraphUnsupported", -32202, "unsupported program format", GraphError)


class JobError(KernelError):
    code = -32300
    title = "no such job"


JobNotFound = _err("JobNotFound", -32300, "no such job", JobError)
JobNotFinished = _err("JobNotFinished", -32301, "job has not finished", JobError)
JobNoResult = _err("JobNoResult", -32302, "job finished without a result", JobError)

# -324xx is reserved for checkpoint calls, which this kernel does not have.


class ChannelError(KernelError):
    code = -32500
    title = "no such channel"


ChannelNotFound = _err("ChannelNotFound", -32500, "no such channel", ChannelError)
ChannelNotOpen = _err("ChannelNotOpen", -32501, "channel is not open", ChannelError)


class ResourceError(KernelError):
    code = -32610
    title = "resource limit"


QubitQuota = _err("QubitQuota", -32610, "logical-qubit quota exceeded", ResourceError)
QueueFull = _err("QueueFull", -32611, "queued-job quota exceeded", ResourceError)
RateLimited = _err("RateLimited", -32612, "job rate limit exceeded", ResourceError)
ShotQuota = _err("ShotQuota", -32613, "shot quota exceeded", ResourceError)
ShuttingDown = _err("ShuttingDown", -32614, "kernel is shutting down", ResourceError)
MessageTooLarge = _err("MessageTooLarge", -32615, "message too large", ResourceError)
TooManyRequests = _err("TooManyRequests", -32616, "batch too large", ResourceError)
KernelBusy = _err("KernelBusy", -32617, "kernel is holding too many unfinished messages; send again", ResourceError)
