"""Which process does a piece of work, and whether that very process is still alive.

A process is named by its host, its pid and its start time: a pid the system gave to another process since (after
a reboot, or on a busy machine) is told apart by its start time.
"""

import socket
from dataclasses import dataclass

import psutil

START_TIME_TOLERANCE_S = 1.0  # process start times are read with clock-tick resolution


@dataclass(frozen=True)
class ProcessIdentity:
    host: str
    pid: int
    started_at: float  # seconds since the epoch

    @classmethod
    def current(cls) -> "ProcessIdentity":
        process = psutil.Process()
        return cls(socket.gethostname(), process.pid, process.create_time())

    def describe(self) -> str:
        return f"process {self.pid} on {self.host}"


def is_alive(identity: ProcessIdentity) -> bool | None:
    """Whether the process still runs; None when it ran on another host (this machine cannot tell)."""
    if identity.host != socket.gethostname():
        return None
    try:
        process = psutil.Process(identity.pid)
        started_at, status = process.create_time(), process.status()
    except psutil.NoSuchProcess:
        return False
    except psutil.AccessDenied:  # another user's process with that pid: alive, and not ours to judge
        return True
    if abs(started_at - identity.started_at) > START_TIME_TOLERANCE_S:
        return False  # the pid now belongs to another process
    return status != psutil.STATUS_ZOMBIE
