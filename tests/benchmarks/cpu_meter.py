"""CPU time per party (app server, its database, the load generator, everything else), read from
/proc on Linux: the steadier figure when the benchmark shares the machine's cores with them all.
Shared by the benchmarks that serve the app under gunicorn."""
from __future__ import annotations

import os
import resource
import subprocess
from pathlib import Path

CLOCK_TICKS = os.sysconf("SC_CLK_TCK")


def process_seconds(pid: int) -> float:
    """CPU seconds (user + system) a process has used; 0 for one that is gone."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / CLOCK_TICKS  # utime + stime


def database_pids(database: str) -> list[int]:
    """PostgreSQL backends serving that database (their title names it)."""
    pids = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                title = (entry / "cmdline").read_bytes()
            except OSError:
                continue
            if title.startswith(b"postgres: ") and f" {database} ".encode() in title:
                pids.append(int(entry.name))
    return pids


class CpuMeter:
    """CPU seconds used by each party on the machine, read from /proc (Linux)."""

    def __init__(self, server: subprocess.Popen, database: str):
        self.server = server
        self.database = database

    def _server_pids(self) -> list[int]:
        pid = self.server.pid
        try:
            children = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
        except OSError:
            children = []
        return [pid, *map(int, children)]

    @staticmethod
    def _machine_busy() -> float:
        values = [int(value) for value in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
        idle = values[3] + values[4]  # idle + iowait
        return (sum(values[:8]) - idle) / CLOCK_TICKS

    def snapshot(self) -> dict:
        usage = resource.getrusage(resource.RUSAGE_SELF)
        return {
            "app server": {pid: process_seconds(pid) for pid in self._server_pids()},
            "database": {pid: process_seconds(pid) for pid in database_pids(self.database)},
            "load generator": usage.ru_utime + usage.ru_stime,
            "machine": self._machine_busy(),
        }

    @staticmethod
    def spent(before: dict, after: dict) -> dict:
        def per_pid(key):
            return sum(seconds - before[key].get(pid, 0.0) for pid, seconds in after[key].items())

        result = {"app server": per_pid("app server"), "database": per_pid("database"),
                  "load generator": after["load generator"] - before["load generator"]}
        result["other processes"] = max(0.0, after["machine"] - before["machine"] - sum(result.values()))
        return result
