"""Run an operator function against the running local stage (`make run`), the same code
path `chalice invoke -n NAME` takes in a deployed stage.

    make ops NAME=ops_contact_requests            # input {} 
    make ops NAME=... INPUT=payload.json          # input from a file
    make ops NAME=ops_access_trends INPUT=days.json   # also writes out/access-trends-*.html
    echo '{...}' | .venv/bin/python -m local_stage.ops NAME
"""
from __future__ import annotations

import json
import os
import sys

from local_stage import emulator
from local_stage.run import state_file


def main(argv: list[str]) -> int:
    from functions.ops import OPERATIONS, run

    if not argv or argv[0] not in OPERATIONS:
        print(f"usage: make ops NAME=<one of {', '.join(sorted(OPERATIONS))}> [INPUT=file.json]", file=sys.stderr)
        return 2
    if not state_file().exists():
        print("The local stage is not running: start it with `make run` first.", file=sys.stderr)
        return 2
    state = json.loads(state_file().read_text())
    os.environ.update(emulator.AWS_ENVIRONMENT)
    os.environ.update(emulator.stage_environment("local"))
    os.environ.update(AWS_ENDPOINT_URL=state["aws_endpoint_url"], BASE_URL=state["base_url"])
    if len(argv) > 1:
        with open(argv[1]) as source:
            payload = json.load(source)
    elif not sys.stdin.isatty():
        text = sys.stdin.read().strip()
        payload = json.loads(text) if text else {}
    else:
        payload = {}
    from shared.ports import process_ports

    result = run(argv[0], payload, process_ports())
    print(json.dumps(result, indent=2))
    if argv[0] == "ops_access_trends" and "error" not in result:  # trends are for looking at, too
        from local_stage.access_report import write_report

        print(f"HTML report with charts: {write_report(result)}", file=sys.stderr)
    return 1 if "error" in result else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
