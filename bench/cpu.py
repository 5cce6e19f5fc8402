"""Where the CPU went: per-process CPU time from /proc, so the benchmark can say what each sign-up cost.

On a 2-core machine the site, the outbox worker, PostgreSQL, the mail sink and the load generator
all share the same cores, so a sign-up's real price is the CPU every one of them spent on it.
Linux only (it reads /proc); elsewhere every figure is zero and the report says so.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

TICKS = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100


def _stat(pid: int) -> list[str] | None:
    """The fields of /proc/PID/stat after the command name (which may hold spaces), or None if it has gone."""
    try:
        text = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    return text.rsplit(")", 1)[1].split()


def cpu_seconds(pid: int, children: bool = False) -> float:
    """User and system CPU of one process; with `children`, also that of its children that have exited."""
    fields = _stat(pid)
    if fields is None:
        return 0.0
    # After the name: state is fields[0], so utime, stime, cutime and cstime are fields[11:15].
    ticks = int(fields[11]) + int(fields[12])
    if children:
        ticks += int(fields[13]) + int(fields[14])
    return ticks / TICKS


def children_of(pid: int) -> list[int]:
    """The live child processes of `pid`."""
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit() and (fields := _stat(int(entry.name))) is not None and int(fields[1]) == pid:
            found.append(int(entry.name))
    return found


def named(command: str) -> list[int]:
    """Live processes whose command name is `command` (say, every PostgreSQL backend)."""
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                if (entry / "comm").read_text().strip() == command:
                    found.append(int(entry.name))
            except OSError:
                continue
    return found


@dataclass
class Meter:
    """CPU seconds per named part of the system, added up over every stretch between `start` and `stop`."""

    parts: dict[str, callable] = field(default_factory=dict)  # name -> () -> cumulative CPU seconds
    started: dict[str, float] = field(default_factory=dict)
    used: dict[str, float] = field(default_factory=dict)

    def add(self, name: str, reading) -> None:
        self.parts[name] = reading

    def start(self) -> None:
        self.started = {name: reading() for name, reading in self.parts.items()}

    def stop(self) -> None:
        for name, reading in self.parts.items():
            self.used[name] = self.used.get(name, 0.0) + reading() - self.started[name]


def postgres_reading() -> float:
    """CPU of every PostgreSQL process now running, plus the backends that have exited (counted by the postmaster)."""
    pids = named("postgres")
    parents = {pid: int(fields[1]) for pid in pids if (fields := _stat(pid)) is not None}
    postmasters = [pid for pid, parent in parents.items() if parent not in parents]
    return sum(cpu_seconds(pid, children=pid in postmasters) for pid in pids)


def own_reading() -> float:
    """The load generator's CPU: this process's, and its children's once they have ended (wrk)."""
    times = os.times()
    return times.user + times.system + times.children_user + times.children_system
