"""Figure 4: a newsletter campaign to N opted-in accounts, fan-out and sending.

Each size runs on a table of its own: a fresh emulator process (bench._campaign_server)
and a fresh measuring process (bench._campaign_child) that seeds N accounts, runs
send_campaign, then sweeps the outbox until every job is sent. moto runs in the other
process, so the measuring process's CPU time is the store's own (its code, boto3,
Jinja2, logging); the emulator's CPU time is reported beside it, for context only.

Reported per size: AWS calls per recipient (fan-out, send), our CPU per recipient, wall
time; and the growth from the smallest to the largest size of total CPU time and total
AWS calls, whose goal is linear: at most 1.1 x the size ratio (11x for 1,000 -> 10,000).
Correctness: every recipient's sweep outcome is "sent", and moto's SES recorded N mails.
"""
from __future__ import annotations

import json
import queue
import subprocess
import sys
import tempfile
import threading
from dataclasses import dataclass

from bench._campaign_child import MARKER as RESULT_MARKER
from bench._campaign_server import READY, REPLY
from bench.environment import ROOT, child_environment

SIZES = (1_000, 10_000)
CALLS_PER_RECIPIENT_GOAL = 3.2
CPU_OVER_BARE_CALLS_GOAL = 1.5
GROWTH_SLACK = 1.1  # linear, with 10 % for noise and fixed costs: 10,000 / 1,000 <= 11x
SERVER_START_TIMEOUT = 120
SECONDS_PER_RECIPIENT_LIMIT = 0.1  # the measuring child is stopped beyond 60 s + this per recipient


@dataclass
class Phase:
    calls: dict[str, int]  # "service.Operation" -> count
    sends: int  # HTTP attempts (calls + retries)
    cpu_s: float  # the measuring process's CPU time
    wall_s: float
    server_cpu_s: float | None  # the emulator's CPU time over the same span (None: unreadable)

    @property
    def total_calls(self) -> int:
        return sum(self.calls.values())

    @classmethod
    def from_json(cls, data: dict) -> "Phase":
        return cls(data["calls"], data["sends"], data["cpu_s"], data["wall_s"], data["server_cpu_s"])


@dataclass
class CampaignRun:
    recipients: int
    setup_s: float
    fan_out: Phase
    send: Phase
    queued: int
    outcomes: dict[str, int]
    sweeps: int
    jobs_left: bool  # the sweep loop stopped at its bound with jobs still unsent
    ses_sent: int  # mails moto's SES recorded
    scans: int  # Scan operations the emulator answered
    bare_cpu_s: float  # CPU of the same AWS calls replayed with a bare boto3 client
    bare_calls: int

    @property
    def total_calls(self) -> int:
        return self.fan_out.total_calls + self.send.total_calls

    @property
    def total_cpu_s(self) -> float:
        return self.fan_out.cpu_s + self.send.cpu_s

    @property
    def total_wall_s(self) -> float:
        return self.fan_out.wall_s + self.send.wall_s

    @property
    def sent(self) -> int:
        return self.outcomes.get("sent", 0)

    @property
    def correct(self) -> bool:
        return self.queued == self.recipients == self.sent == self.ses_sent and not self.jobs_left


class _Server:
    """The emulator process: started, asked for its counts, stopped (only this one process)."""

    def __init__(self) -> None:
        self._stderr = tempfile.TemporaryFile(mode="w+")
        self.process = subprocess.Popen(
            [sys.executable, "-m", "bench._campaign_server"], cwd=ROOT, env=child_environment(),
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=self._stderr, text=True, bufsize=1,
        )
        self._lines: queue.Queue = queue.Queue()
        threading.Thread(target=self._read, daemon=True).start()
        ready = self._expect(READY, SERVER_START_TIMEOUT)
        self.endpoint, self.pid = ready["endpoint"], ready["pid"]

    def _read(self) -> None:
        for line in self.process.stdout:
            self._lines.put(line)
        self._lines.put(None)

    def _expect(self, marker: str, timeout: float) -> dict:
        while True:
            try:
                line = self._lines.get(timeout=timeout)
            except queue.Empty:
                raise RuntimeError(f"campaign emulator: no {marker.strip()} line within {timeout} s") from None
            if line is None:
                raise RuntimeError(f"campaign emulator ended (exit {self.process.poll()}):\n{self.stderr_tail()}")
            if line.startswith(marker):
                return json.loads(line[len(marker):])

    def stats(self) -> dict:
        self.process.stdin.write("stats\n")
        self.process.stdin.flush()
        return self._expect(REPLY, 60)

    def stderr_tail(self) -> str:
        self._stderr.seek(0)
        return self._stderr.read()[-3000:]

    def stop(self) -> None:
        try:
            if self.process.stdin and not self.process.stdin.closed:
                self.process.stdin.close()  # end of stdin: the server stops and exits
            self.process.wait(timeout=30)
        except (subprocess.TimeoutExpired, OSError):
            self.process.kill()
            self.process.wait(timeout=30)
        finally:
            self._stderr.close()


def run_once(recipients: int) -> CampaignRun:
    server = _Server()
    try:
        env = child_environment(AWS_ENDPOINT_URL=server.endpoint, BENCH_SERVER_PID=str(server.pid))
        argv = [sys.executable, "-m", "bench._campaign_child", str(recipients)]
        timeout = 60 + recipients * SECONDS_PER_RECIPIENT_LIMIT
        try:
            completed = subprocess.run(argv, cwd=ROOT, env=env, capture_output=True, text=True, timeout=timeout)
        except subprocess.TimeoutExpired:
            raise RuntimeError(f"campaign to {recipients:,} did not finish within {timeout:.0f} s") from None
        lines = [line for line in completed.stdout.splitlines() if line.startswith(RESULT_MARKER)]
        if completed.returncode != 0 or not lines:
            raise RuntimeError(f"campaign to {recipients:,} failed (exit {completed.returncode}):\n"
                               f"{completed.stdout[-2000:]}\n{completed.stderr[-3000:]}\n"
                               f"emulator:\n{server.stderr_tail()}")
        stats = server.stats()
    finally:
        server.stop()
    result = json.loads(lines[-1][len(RESULT_MARKER):])
    fan_out, send = result["fan_out"], result["send"]
    return CampaignRun(
        recipients=recipients,
        setup_s=result["setup_s"],
        fan_out=Phase.from_json(fan_out),
        send=Phase.from_json(send),
        queued=fan_out["outcome"]["queued"],
        outcomes=send["outcome"]["outcomes"],
        sweeps=send["outcome"]["sweeps"],
        jobs_left=send["outcome"]["left"],
        ses_sent=stats["ses_sent"],
        scans=stats["scans"],
        bare_cpu_s=result["bare"]["cpu_s"],
        bare_calls=result["bare"]["calls"],
    )


def measure(sizes=SIZES, progress=lambda message: None) -> list[CampaignRun]:
    runs = []
    for recipients in sizes:
        progress(f"campaign to {recipients:,} opted-in accounts (own emulator process) ...")
        run = run_once(recipients)
        progress(f"campaign to {recipients:,}: fan-out {run.fan_out.wall_s:.1f} s, send {run.send.wall_s:.1f} s "
                 f"(setup {run.setup_s:.1f} s)")
        runs.append(run)
    return runs


def growth(runs: list[CampaignRun]) -> tuple[CampaignRun, CampaignRun, float, float, float, float] | None:
    """(small, large, size ratio, goal ratio, CPU ratio, AWS call ratio), or None for < 2 sizes."""
    if len(runs) < 2:
        return None
    small, large = min(runs, key=lambda r: r.recipients), max(runs, key=lambda r: r.recipients)
    size_ratio = large.recipients / small.recipients
    return (small, large, size_ratio, size_ratio * GROWTH_SLACK,
            large.total_cpu_s / small.total_cpu_s, large.total_calls / small.total_calls)
