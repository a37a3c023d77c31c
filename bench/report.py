"""Figures 4 and 5's rows: the campaigns (bench.campaign) and the throttling drill
(bench.throttle_drill), run and printed for bench/__main__.py; and the report's column
width and goal text, which every figure's rows share."""
from __future__ import annotations

import logging

WIDTH = 40


def goal_text(value: float, goal: float, unit: str = "") -> str:
    return f"(goal <= {goal:g}{unit}: {'met' if value <= goal else 'NOT met'})"


def run_drill(progress):
    """Figure 5, in this process on the in-memory table (bench/throttle_drill.py)."""
    from bench import throttle_drill

    progress("throttling drill: SES refuses 80% of sends for 10 simulated minutes ...")
    logging.disable(logging.WARNING)  # a deferral per refused send: thousands of warnings
    try:
        return throttle_drill.run()
    finally:
        logging.disable(logging.NOTSET)


def print_drill(drill) -> None:
    from bench.throttle_drill import PIN_ORDERS, READERS, REFUSED_SHARE, THROTTLED_SECONDS

    ok = drill.exactly_once and drill.failed == 0 and drill.last_pin_minute < drill.last_promotion_minute
    print(f"  {'throttling drill':<{WIDTH}}{'met' if ok else 'NOT met'}: {READERS:,} promotions + {PIN_ORDERS} PIN mails, "
          f"SES refusing {REFUSED_SHARE:.0%} for {THROTTLED_SECONDS // 60} simulated min ({drill.refused:,} sends refused): "
          f"{len(drill.sends):,} of {drill.jobs:,} sent, each exactly once: {'yes' if drill.exactly_once else 'NO'}; "
          f"{drill.failed} failed, {drill.unsent} unsent; last PIN mail at minute {drill.last_pin_minute:.1f}, "
          f"last promotion at minute {drill.last_promotion_minute:.1f} ({drill.minutes} sweeps)")


def print_campaign(runs, headline: bool = True, details: bool = True) -> None:
    """Figure 4's rows: the headline (per recipient, growth, delivery) and/or its details."""
    from bench.campaign import CALLS_PER_RECIPIENT_GOAL, CPU_OVER_BARE_CALLS_GOAL, GROWTH_SLACK, growth

    def row(label: str, text: str) -> None:
        print(f"  {label:<{WIDTH}}{text}")

    def per(run, value: float) -> float:
        return value / run.recipients

    def calls_text(calls: dict[str, int]) -> str:
        return ", ".join(f"{name} {count}" for name, count in sorted(calls.items(), key=lambda i: -i[1])) or "none"

    if not runs:
        return
    if headline:
        for run in runs:
            n = f"campaign {run.recipients:,}"
            row(f"{n}, AWS calls/recipient",
                f"{per(run, run.total_calls):.2f} (fan-out {per(run, run.fan_out.total_calls):.3f} "
                f"+ send {per(run, run.send.total_calls):.3f}; goal <= {CALLS_PER_RECIPIENT_GOAL:g}: "
                f"{'met' if per(run, run.total_calls) <= CALLS_PER_RECIPIENT_GOAL else 'NOT met'})")
            row(f"{n}, our CPU/recipient",
                f"{per(run, run.total_cpu_s) * 1000:.2f} ms (fan-out {per(run, run.fan_out.cpu_s) * 1000:.2f} "
                f"+ send {per(run, run.send.cpu_s) * 1000:.2f}); total {run.total_cpu_s:.1f} s")
            ratio = run.total_cpu_s / run.bare_cpu_s if run.bare_cpu_s else float("nan")
            row(f"{n}, CPU vs bare boto3",
                f"ours {per(run, run.total_cpu_s) * 1000:.2f} ms vs the same {run.bare_calls:,} calls with a bare "
                f"boto3 client {per(run, run.bare_cpu_s) * 1000:.2f} ms per recipient: ratio {ratio:.2f}x "
                f"(goal <= {CPU_OVER_BARE_CALLS_GOAL:g}x: {'met' if ratio <= CPU_OVER_BARE_CALLS_GOAL else 'NOT met'})")
            row(f"{n}, wall time",
                f"{run.total_wall_s:.1f} s (fan-out {run.fan_out.wall_s:.1f} s + send {run.send.wall_s:.1f} s; "
                f"{per(run, run.total_wall_s) * 1000:.2f} ms per recipient, mostly moto)")
            row(f"{n}, delivered",
                f"{'OK' if run.correct else 'WRONG'}: {run.queued:,} jobs queued, {run.sent:,} sent, "
                f"moto's SES recorded {run.ses_sent:,}"
                + (f"; other outcomes {dict((k, v) for k, v in run.outcomes.items() if k != 'sent')}"
                   if set(run.outcomes) - {"sent"} else "")
                + ("; jobs LEFT unsent at the sweep bound" if run.jobs_left else ""))
        found = growth(runs)
        if found:
            small, large, size_ratio, goal, cpu_ratio, calls_ratio = found
            met = cpu_ratio <= goal and calls_ratio <= goal
            row(f"campaign growth {large.recipients:,} / {small.recipients:,}",
                f"CPU {cpu_ratio:.2f}x, AWS calls {calls_ratio:.2f}x for {size_ratio:g}x the recipients "
                f"(goal <= {goal:g}x, linear: {'met' if met else 'NOT met'})")
    if details:
        for run in runs:
            n = f"campaign {run.recipients:,}"
            retried = run.fan_out.sends + run.send.sends - run.total_calls
            row(f"{n}, fan-out calls", calls_text(run.fan_out.calls))
            row(f"{n}, send calls",
                f"{calls_text(run.send.calls)} ({run.sweeps} sweeper invocations"
                + (f"; +{retried} retried" if retried else "") + ")")
            row(f"{n}, our CPU per AWS call",
                f"{run.total_cpu_s / run.total_calls * 1000:.2f} ms (all of the process's CPU / all its calls)")
            if run.fan_out.server_cpu_s is not None and run.send.server_cpu_s is not None:
                moto = run.fan_out.server_cpu_s + run.send.server_cpu_s
                row(f"{n}, moto's CPU/recipient",
                    f"{per(run, moto) * 1000:.2f} ms (fan-out {per(run, run.fan_out.server_cpu_s) * 1000:.2f} "
                    f"+ send {per(run, run.send.server_cpu_s) * 1000:.2f}; the emulator's process, not ours)")
            row(f"{n}, setup (not measured)", f"{run.recipients * 3:,} items by batch_write_item in {run.setup_s:.1f} s")
        found = growth(runs)
        if found:
            small, large, size_ratio, _goal, _cpu, _calls = found
            fan_cpu = large.fan_out.cpu_s / small.fan_out.cpu_s
            send_cpu = large.send.cpu_s / small.send.cpu_s
            wall = large.total_wall_s / small.total_wall_s
            row("campaign growth, parts",
                f"CPU fan-out {fan_cpu:.2f}x, send {send_cpu:.2f}x; wall {wall:.2f}x "
                f"(slack {GROWTH_SLACK:g} for fixed costs and noise)")
