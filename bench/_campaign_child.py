"""One campaign, measured in a fresh interpreter: `python -m bench._campaign_child N`.

Run by bench.campaign against an emulator in another process (AWS_ENDPOINT_URL, and
BENCH_SERVER_PID to read that process's CPU time from /proc), so this process's CPU time
is the store's own work: its code, boto3/botocore, Jinja2, logging.

1. Setup, not measured: N active accounts opted in to the newsletter, written with
   batch_write_item (the Account item with its active-index keys, the Preferences item,
   the newsletter audience membership item).
2. Fan-out, measured: functions.campaigns.send_campaign (one mail job per recipient).
3. Send, measured: functions.mail_outbox.sweep(ports, MAIL_HANDLERS) as one sweeper invocation of 60 s
   would run it, again and again until nothing is left (per batch of 50 jobs: the jobs,
   their accounts and preferences, their suppressions in three BatchGetItem calls; per
   job: claim, render, SES send, mark sent), at most a bounded number of rounds.
4. The same AWS calls replayed with a bare boto3 client, for the CPU they cost alone.

Prints one RESULT line of JSON. AWS calls are counted with `before-call` (one per API
operation) and `before-send` (one per HTTP attempt) hooks on the app's boto3 session.
"""
from __future__ import annotations

import json
import os
import sys
import time
from collections import Counter

MARKER = "BENCH-CAMPAIGN-RESULT "
REPLAY_SAMPLE = 4000  # calls replayed with the bare client at most
SWEEPER_SECONDS = 60  # the sweeper's Lambda timeout (.chalice/config.json)
TOPIC = "newsletter"


class CallCounter:
    def __init__(self, sample_every: int = 1) -> None:
        self.active = False
        self.calls: Counter = Counter()
        self.sends = 0
        # (service, operation, API parameters) of every k-th call, for the bare replay. Only a
        # sample is kept: tens of thousands of kept requests would slow this process's garbage
        # collection, the very CPU being measured.
        self.sample_every = sample_every
        self.recorded: list[tuple[str, str, dict]] = []
        self._seen = 0

    def on_params(self, params=None, model=None, **_kwargs) -> None:
        if self.active:
            self._seen += 1
            if self._seen % self.sample_every == 0:  # a shallow copy: botocore reads parameters, never changes them
                self.recorded.append((model.service_model.service_name, model.name, dict(params)))

    def on_call(self, model=None, **_kwargs) -> None:
        if self.active:
            self.calls[f"{model.service_model.service_name}.{model.name}"] += 1

    def on_send(self, **_kwargs) -> None:
        if self.active:
            self.sends += 1

    def start(self) -> None:
        self.calls, self.sends, self.active = Counter(), 0, True

    def stop(self) -> tuple[dict, int]:
        self.active = False
        return dict(self.calls), self.sends


def server_cpu_seconds() -> float | None:
    """utime + stime of the emulator's process (Linux /proc; clock-tick resolution)."""
    pid = os.environ.get("BENCH_SERVER_PID")
    try:
        with open(f"/proc/{pid}/stat") as stat:
            fields = stat.read().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    except (OSError, ValueError, IndexError, TypeError):
        return None


def seed(count: int, settings, dynamodb) -> None:
    from boto3.dynamodb.types import TypeSerializer

    from shared.clock import system_clock
    from shared.ids import address_hash, new_id
    from shared.store.accounts import Account, Preferences, audience_key

    serializer = TypeSerializer()
    key = settings.hash_key()
    at = system_clock.iso()
    items = []
    for i in range(count):
        account_id = new_id()
        address = f"bench{i}@example.org"
        account = Account(account_id=account_id, email=address, email_hash=address_hash(address, key),
                          name=f"Bench Reader {i}", status="active", created_at=at, policy_version=1)
        items.append(account.to_item())
        items.append(Preferences(account_id=account_id, topics={"newsletter": True, "promotions": False},
                                 updated_at=at).to_item())
        items.append({**audience_key(TOPIC, account_id), "account_id": account_id})
    for start in range(0, len(items), 25):
        pending = [{"PutRequest": {"Item": {k: serializer.serialize(v) for k, v in item.items()}}}
                   for item in items[start:start + 25]]
        for _ in range(10):
            left = dynamodb.batch_write_item(RequestItems={settings.table_name: pending}).get("UnprocessedItems", {})
            pending = left.get(settings.table_name, [])
            if not pending:
                break
            time.sleep(0.05)
        if pending:
            raise RuntimeError("the emulator left setup items unwritten")


def measured(counter: CallCounter, work) -> dict:
    server_before = server_cpu_seconds()
    counter.start()
    cpu, wall = time.process_time(), time.perf_counter()
    outcome = work()
    cpu, wall = time.process_time() - cpu, time.perf_counter() - wall
    calls, sends = counter.stop()
    server_after = server_cpu_seconds()
    server = server_after - server_before if server_before is not None and server_after is not None else None
    return {"calls": calls, "sends": sends, "cpu_s": cpu, "wall_s": wall, "server_cpu_s": server, "outcome": outcome}


def replay_bare(recorded: list[tuple[str, str, dict]], step: int, calls: int, settings) -> dict:
    """The same AWS calls, made again with a bare boto3 client in a fresh process
    (bench._bare_replay): the CPU the calls themselves cost, to set ours against. Every k-th
    call was recorded (about REPLAY_SAMPLE in all); its CPU is scaled by k."""
    import pickle
    import subprocess
    import tempfile

    with tempfile.NamedTemporaryFile(suffix=".pickle") as sample:
        pickle.dump(recorded, sample)
        sample.flush()
        domain = settings.sender_address.rsplit("@", 1)[1].rstrip(">")
        done = subprocess.run([sys.executable, "-m", "bench._bare_replay", sample.name, domain,
                               settings.configuration_set], capture_output=True, text=True, timeout=900, check=True)
    replay = json.loads(done.stdout.strip().splitlines()[-1])
    return {"calls": calls, "replayed": len(recorded), "cpu_s": replay["cpu_s"] * step, "errors": replay["errors"],
            "rounds_s": replay["rounds"]}


def main() -> None:
    count = int(sys.argv[1])
    # The deployed functions log through the service's Powertools logger (JSON, redacted);
    # keep that cost, send the lines nowhere.
    from aws_lambda_powertools import Logger

    from shared.logs import SERVICE, install_redaction

    logger = Logger(service=SERVICE)
    install_redaction(logger.registered_handler)
    logger.registered_handler.setStream(open(os.devnull, "w"))

    from shared import aws

    # About 3.2 calls per recipient: keep every k-th for a replay of about REPLAY_SAMPLE calls.
    counter = CallCounter(sample_every=max(1, int(count * 3.2) // REPLAY_SAMPLE))
    events = aws._session().events  # before any client exists: every client inherits the hooks
    events.register("before-call", counter.on_call)
    events.register("before-send", counter.on_send)
    events.register("before-parameter-build", counter.on_params)

    from functions.campaigns import CampaignInput, send_campaign
    from functions.mail_outbox import sweep, time_budget
    from functions.mail_handlers import MAIL_HANDLERS
    from shared.ports import process_ports

    ports = process_ports()
    setup_started = time.perf_counter()
    seed(count, ports.settings, aws.client("dynamodb"))
    setup_s = time.perf_counter() - setup_started

    payload = CampaignInput(
        topic=TOPIC,
        subject="The spring letterpress collection",
        text="Our spring collection of letterpress calling cards is here.\n\nCotton paper, two inks, "
             "and a new serif. Order before the end of the month and the die is on us.",
        html="<p>Our spring collection of letterpress calling cards is here.</p>"
             "<p>Cotton paper, two inks, and a new serif. Order before the end of the month and the die is on us.</p>",
    )
    fan_out = measured(counter, lambda: send_campaign(payload, ports))

    def send_all() -> dict:
        outcomes: Counter = Counter()
        rounds = 0
        max_rounds = count // 100 + 5  # an invocation sends far more than 100 mails here
        while rounds < max_rounds:
            rounds += 1
            # One sweeper invocation as deployed: a minute, of which it sends until the margin.
            got = sweep(ports, MAIL_HANDLERS, remaining_seconds=time_budget(SWEEPER_SECONDS))
            outcomes.update(got)
            if not got:
                break
        return {"outcomes": dict(outcomes), "sweeps": rounds, "left": bool(got)}

    send = measured(counter, send_all)
    calls = sum(fan_out["calls"].values()) + sum(send["calls"].values())
    bare = replay_bare(counter.recorded, counter.sample_every, calls, ports.settings)
    result = {"recipients": count, "setup_s": setup_s, "fan_out": fan_out, "send": send, "bare": bare}
    sys.stdout.write(MARKER + json.dumps(result) + "\n")
    sys.stdout.flush()


if __name__ == "__main__":
    main()
