"""The API function's SnapStart hooks (the stages that use SnapStart: docs/operations.md).

With SnapStart, Lambda initialises a published version once: it imports the app, runs
`before_snapshot`, and snapshots the memory. Every new execution environment of that
version resumes from that one snapshot and runs `after_restore` before its first request.
So the one-time work goes before the snapshot: the modules the first requests import (the
cold path that `make package` recorded into chalicelib/cold_path.txt), the ports and the
settings they are built from, the browser parser's and the address lookup's first use, the
page templates. Whatever must not be shared by environments restored from one snapshot is
made anew after restore: the random generator's state, the boto3 session and clients (their
connections and the credentials they resolved), the settings with the secrets read with
them and Powertools' parameter cache, and the ports, which hold clients.

Nothing before the snapshot reads a secret: Lambda runs this hook when a version is
published, which on a stage's first deploy is before anyone has put the secrets in SSM, and
a hook that fails fails the deploy. The settings are read from the environment alone there
(`Settings.from_environment`, no SSM); the secrets are read on the first request after
restore, which is when they must be current anyway.

The runtime provides `snapshot_restore_py`. Where it is missing (make run, the tests),
`register()` does nothing; the hooks can still be called directly.
"""
from __future__ import annotations

import gc
import importlib
import random
from pathlib import Path

# Written into the zip by `make package` (infra/package_bytecode.py): one module a line,
# in the order a fresh API function imported them to serve its first requests.
COLD_PATH = Path(__file__).with_name("cold_path.txt")
# A visitor as the home page's first request has one: the browser parse and country lookup.
SAMPLE_AGENT = ("Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/130.0.0.0 "
                "Safari/537.36")
SAMPLE_ADDRESS = "189.203.0.1"


def register() -> bool:
    """Register the hooks with Lambda's runtime; False where there is no such runtime."""
    try:
        from snapshot_restore_py import register_after_restore, register_before_snapshot
    except ImportError:
        return False
    register_before_snapshot(before_snapshot)
    register_after_restore(after_restore)
    return True


def cold_path_modules() -> list[str]:
    if not COLD_PATH.is_file():
        return []
    return [line.strip() for line in COLD_PATH.read_text().splitlines() if line.strip()]


def before_snapshot() -> None:
    for name in cold_path_modules():
        importlib.import_module(name)
    from chalicelib import pages
    from shared import geo, user_agents
    from shared.ports import Ports
    from shared.settings import Settings
    from shared.store.table import DynamoTable

    # The stage's ports as process_ports() builds them, minus the secrets get_settings() would
    # read from SSM: a snapshot is taken before the stage need have any (see above). Its
    # repositories' modules are on the cold path; each repository is built on first use.
    settings = Settings.from_environment()
    Ports(settings, DynamoTable(settings.table_name))
    user_agents.families(SAMPLE_AGENT)
    geo.country_of_address(SAMPLE_ADDRESS)
    environment = pages._environment()
    for template in environment.list_templates(extensions=["html"]):
        environment.get_template(template)
    build_request_models()
    # app.py paused collection for the start; the snapshot keeps no garbage, and what the
    # start built is frozen out of the way of the collections that resume after the first event.
    gc.collect()
    gc.freeze()


def build_request_models() -> list[str]:
    """Build the validators and serialisers of the JSON routes' models whose modules the cold
    path loaded: pydantic builds a model on first use (defer_build), and cannot keep a built
    one anywhere but in memory, so the snapshot is where a first request's build can go."""
    import sys

    from chalicelib.http import JSON_ROUTES, model_named

    names = sorted({n for r in JSON_ROUTES for n in (r.request, r.response) if n and n.partition(":")[0] in sys.modules})
    for name in names:
        model_named(name).model_rebuild()
    return names


def after_restore() -> None:
    random.seed()  # from the OS's entropy; secrets and os.urandom need nothing
    import boto3
    from aws_lambda_powertools.utilities import parameters

    from shared import aws
    from shared.ports import process_ports
    from shared.settings import get_settings

    boto3.DEFAULT_SESSION = None
    aws.reset()
    parameters.clear_caches()
    get_settings.cache_clear()
    process_ports.cache_clear()
