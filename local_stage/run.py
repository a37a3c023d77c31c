"""`make run`: the whole store on this machine, no AWS account needed.

Starts moto on 127.0.0.1, provisions infra/ into it, serves the app on
http://127.0.0.1:$PORT (default 8000) from this process, and drives the mail outbox,
SES feedback and schedules. Ctrl-C stops everything.
"""
from __future__ import annotations

import json
import logging
import os
import signal
import sys
import warnings

from local_stage import emulator
from local_stage.emulator import ROOT

log = logging.getLogger("local_stage")
UNKNOWN_ROUTE = {"error": {"code": "not_found", "message": "There is nothing at this address."}}


def state_file():
    """Where `make ops` finds the running emulator (tests running their own stage move it)."""
    from pathlib import Path

    return Path(os.environ.get("LOCAL_STAGE_STATE", ROOT / ".local-stage.json"))


def _request_handler_class():
    from chalice.local import ChaliceRequestHandler

    access = logging.getLogger("local_stage.access")

    class RedactingRequestHandler(ChaliceRequestHandler):
        """Access lines go through logging, whose handler filter strips tokens from paths;
        a path no route matches answers the contract's 404, as the deployed stage's
        gateway response does (infra/merge_template.py); a method no route has (TRACE,
        QUERY, PROPFIND ...) answers the contract's 405, not the standard library's 501."""

        def send_error(self, code, message=None, explain=None):
            if code != 501:  # http.server's answer to a method it has no do_<METHOD> for
                super().send_error(code, message, explain)
                return
            body = json.dumps({"error": {"code": "method_not_allowed",
                                         "message": "This method is not allowed here."}}).encode()
            self.send_response(405)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.send_header("Connection", "close")
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, format, *args):  # noqa: A002 - the stdlib's signature
            access.info("%s", format % args)  # no client address: P23's records are anonymous

        def _send_error_response(self, error):
            if error.CODE == 403 and b"Missing Authentication Token" in (error.body or b""):
                if "text/html" in (self.headers.get("accept") or ""):  # a browser: the store's page
                    from chalicelib.http import html_error

                    page = html_error(404, "")  # the page words of chalicelib.http.PAGE_ERRORS
                    self._send_http_response(404, page.headers, page.body.encode())
                    return
                body = json.dumps(UNKNOWN_ROUTE).encode()
                self._send_http_response(404, {"Content-Type": "application/json"}, body)
                return
            super()._send_error_response(error)

    return RedactingRequestHandler


def configure_logging() -> None:
    from shared.logs import install_redaction

    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter("%(asctime)s %(name)s %(levelname)s %(message)s"))
    root = logging.getLogger()
    root.addHandler(handler)
    root.setLevel(logging.INFO)
    for noisy in ("botocore", "boto3", "urllib3"):
        logging.getLogger(noisy).setLevel(logging.WARNING)
    # moto's CloudFormation warns about the types infra/ provisions through the SES API instead.
    warnings.filterwarnings("ignore", message="Tried to parse AWS::", category=UserWarning)
    logging.getLogger("moto").setLevel(logging.ERROR)
    install_redaction(handler)


def build_server(host: str, port: int):
    """The app with its /dev routes, served by chalice's local server with our handler."""
    from chalice.config import Config
    from chalice.local import LocalDevServer, create_local_server

    from local_stage import dev_routes, sandbox_processor

    import app as app_module

    dev_routes.register(app_module.app)
    sandbox_processor.register(app_module.app)
    config = Config.create(chalice_stage="local", app_name="calling-card-store", project_dir=str(ROOT))
    probe = create_local_server(app_module.app, config, host, 0)  # makes the app a LocalChalice
    probe.server.server_close()
    return LocalDevServer(app_module.app, config, host, port, handler_cls=_request_handler_class())


def main() -> None:
    configure_logging()
    port = int(os.environ.get("PORT", "8000"))
    aws = emulator.start("local", port=int(os.environ.get("LOCAL_AWS_PORT", "0")))
    emulator.apply_stage_environment("local")
    server = build_server("127.0.0.1", port)
    port = server.server.server_address[1]
    os.environ["BASE_URL"] = f"http://127.0.0.1:{port}"
    state_file().write_text(json.dumps({"aws_endpoint_url": aws.endpoint_url, "base_url": os.environ["BASE_URL"]}))

    from local_stage.driver import LocalDriver
    from local_stage.seed import seed_catalog, seed_surveys
    from shared.ports import process_ports

    log.info("demo catalog seeded with %d PINs", seed_catalog(process_ports()))
    log.info("demo surveys seeded: %s", ", ".join(seed_surveys(process_ports())))

    driver = LocalDriver(aws.outputs["TableStreamArn"], aws.outputs["SesFeedbackQueueName"])
    driver.start()
    signal.signal(signal.SIGTERM, lambda *_: (_ for _ in ()).throw(KeyboardInterrupt()))
    print(f"Serving on http://127.0.0.1:{port}  (mail: http://127.0.0.1:{port}/dev/outbox)", flush=True)
    try:
        server.server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        driver.stop()
        server.server.server_close()
        aws.stop()
        state_file().unlink(missing_ok=True)
        print("Stopped.", flush=True)


if __name__ == "__main__":
    main()
