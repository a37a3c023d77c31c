"""The campaign benchmark's emulator, in a process of its own: `python -m bench._campaign_server`.

Started by bench.campaign with the bench's isolated environment. It starts moto on
127.0.0.1 and provisions the local stage (local_stage.emulator.start("local")), prints
one READY line with its endpoint and pid, then answers commands read from stdin, one
JSON line each:

    stats   -> {"ses_sent": messages moto's SES recorded, "scans": Scan operations it answered,
                "cpu_s": this process's CPU time so far}

End of stdin stops the server and ends the process. Running moto here, not in the
measuring process, keeps moto's work out of that process's CPU time.
"""
import json
import logging
import sys
import time
import warnings

READY = "BENCH-CAMPAIGN-SERVER "
REPLY = "BENCH-CAMPAIGN-STATS "


def main() -> None:
    warnings.filterwarnings("ignore", message="Tried to parse AWS::", category=UserWarning)
    logging.getLogger("moto").setLevel(logging.ERROR)
    import os

    from bench.aws_calls import ServerScanCounter
    from local_stage import emulator

    scans = ServerScanCounter()
    stage = emulator.start("local")
    print(READY + json.dumps({"endpoint": stage.endpoint_url, "pid": os.getpid()}), flush=True)
    try:
        for line in sys.stdin:
            command = line.strip()
            if command == "stats":
                from moto.core import DEFAULT_ACCOUNT_ID
                from moto.ses.models import ses_backends

                sent = len(ses_backends[DEFAULT_ACCOUNT_ID][emulator.REGION].sent_messages)
                print(REPLY + json.dumps({"ses_sent": sent, "scans": scans.count, "cpu_s": time.process_time()}),
                      flush=True)
            elif command:
                print(REPLY + json.dumps({"error": f"unknown command {command!r}"}), flush=True)
    finally:
        stage.stop()


if __name__ == "__main__":
    main()
