"""SnapStart where the stage asks for it: the prod template publishes versions of the API
function with SnapStart and invokes it only through their alias, and the hooks, run in the
runtime's order (import app, before snapshot, after restore, a request), warm the cold path
before the snapshot and give each restored environment its own clients, settings, secrets
and random seed."""
from __future__ import annotations

import copy
import json
import random
import subprocess
import sys
import types

import pytest

from infra import cold_path, read_only, snapstart as template_step
from local_stage import emulator
from tests.deploy.conftest import COMPILE_SPY, ROOT

ALIAS_REF = {"Ref": "APIHandler.Alias"}


def _integration_uris(node) -> list:
    if isinstance(node, dict):
        return [v for k, v in node.items() if k == "uri"] + [u for v in node.values() for u in _integration_uris(v)]
    if isinstance(node, list):
        return [u for item in node for u in _integration_uris(item)]
    return []


def test_each_stage_says_whether_its_api_function_uses_snapstart():
    assert template_step.wanted("prod") is True
    assert template_step.wanted("dev") is False  # a stage nobody waits on: no cache and restore charges


def test_the_prod_api_function_publishes_snapstart_versions_and_the_api_invokes_only_their_alias(package):
    template = json.loads((package / "sam.json").read_text())
    resources = template["Resources"]
    function = resources["APIHandler"]["Properties"]
    assert function["SnapStart"] == {"ApplyOn": "PublishedVersions"} and function["AutoPublishAlias"] == "live"
    major, minor = map(int, function["Runtime"].removeprefix("python").split("."))
    assert (major, minor) >= (3, 12)  # SnapStart for Python
    uris = _integration_uris(resources["RestAPI"])
    assert len(uris) > 20
    for uri in uris:
        text, variables = uri["Fn::Sub"]
        assert text.endswith("/functions/${Function}/invocations") and variables == {"Function": ALIAS_REF}
    assert resources["APIHandlerInvokePermission"]["Properties"]["FunctionName"] == ALIAS_REF
    assert "APIHandler.Arn" not in json.dumps(resources["RestAPI"])
    # Only the API function: the others are invoked by events, schedules and operators.
    others = [k for k, v in resources.items() if v["Type"] == "AWS::Serverless::Function" and k != "APIHandler"]
    assert others and not any("SnapStart" in resources[k]["Properties"] for k in others)


def test_the_template_step_leaves_a_stage_without_snapstart_alone_and_refuses_an_older_runtime(package):
    chalice_template = json.loads((package / "sam.json").read_text())
    function = chalice_template["Resources"]["APIHandler"]["Properties"]
    for key in ("SnapStart", "AutoPublishAlias"):
        function.pop(key)
    unqualified = copy.deepcopy(template_step.UNQUALIFIED_URI)
    api = json.dumps(chalice_template["Resources"]["RestAPI"]).replace(
        json.dumps(template_step.ALIAS_URI), json.dumps(unqualified))
    chalice_template["Resources"]["RestAPI"] = json.loads(api)
    chalice_template["Resources"]["APIHandlerInvokePermission"]["Properties"]["FunctionName"] = {"Ref": "APIHandler"}
    assert template_step.apply(copy.deepcopy(chalice_template), "dev") == chalice_template
    assert template_step.apply(copy.deepcopy(chalice_template), "prod")["Resources"]["APIHandler"]["Properties"][
        "SnapStart"] == {"ApplyOn": "PublishedVersions"}
    function["Runtime"] = "python3.11"
    with pytest.raises(ValueError, match="python3.12 or newer"):
        template_step.apply(copy.deepcopy(chalice_template), "prod")


def test_registering_the_hooks_is_a_no_op_without_lambdas_runtime_and_registers_both_with_it(monkeypatch):
    from chalicelib import snapstart

    monkeypatch.delitem(sys.modules, "snapshot_restore_py", raising=False)
    assert snapstart.register() is False
    registered = {"before": [], "after": []}
    runtime = types.ModuleType("snapshot_restore_py")
    runtime.register_before_snapshot = registered["before"].append
    runtime.register_after_restore = registered["after"].append
    monkeypatch.setitem(sys.modules, "snapshot_restore_py", runtime)
    assert snapstart.register() is True
    assert registered == {"before": [snapstart.before_snapshot], "after": [snapstart.after_restore]}


def test_importing_the_app_registers_the_hooks_with_lambdas_runtime(tmp_path):
    (tmp_path / "snapshot_restore_py.py").write_text(
        "before, after = [], []\n"
        "def register_before_snapshot(hook, *args, **kwargs): before.append(hook.__module__ + '.' + hook.__name__)\n"
        "def register_after_restore(hook, *args, **kwargs): after.append(hook.__module__ + '.' + hook.__name__)\n")
    probe = ("import sys; sys.path[:0] = [sys.argv[1], sys.argv[2]]; import app, snapshot_restore_py as r; "
             "print(r.before, r.after)")
    done = subprocess.run([sys.executable, "-c", probe, str(tmp_path), str(ROOT)], capture_output=True, text=True,
                          env={"PATH": "/usr/bin:/bin", **emulator.AWS_ENVIRONMENT, **emulator.stage_environment()},
                          cwd=tmp_path, timeout=120)
    assert done.returncode == 0, done.stderr[-2000:]
    registered = done.stdout.split("\n")[0]
    assert registered == "['chalicelib.snapstart.before_snapshot'] ['chalicelib.snapstart.after_restore']"


def test_the_hooks_in_the_runtimes_order_warm_the_cold_path_then_renew_clients_secrets_and_seed(aws, unpacked, person,
                                                                                              monkeypatch):
    """import app -> before snapshot -> (snapshot) -> after restore -> a request; and a second
    environment restored from the same snapshot draws other random numbers than the first."""
    import boto3
    from aws_lambda_powertools.utilities.parameters.constants import DEFAULT_PROVIDERS
    from chalice.test import Client

    import app
    from chalicelib import snapstart
    from shared import aws as clients
    from shared.bootstrap import ports
    from shared.settings import get_settings

    path = "/calling-card-store/snapstart/"
    ssm = boto3.client("ssm")
    for name, value in (("token-signing-keys", "key-1"), ("email-hash-key", "hash-key"),
                        ("processor-webhook-secret", "whsec_1")):
        ssm.put_parameter(Name=path + name, Value=value, Type="SecureString")
    monkeypatch.setenv("SECRETS_SOURCE", "ssm")
    monkeypatch.setenv("SSM_PARAMETER_PATH", path)
    monkeypatch.setattr(snapstart, "COLD_PATH", unpacked / "chalicelib" / "cold_path.txt")
    try:
        snapstart.after_restore()  # this process's earlier settings and clients are not the snapshot's
        snapstart.before_snapshot()
        assert len(snapstart.cold_path_modules()) > 200
        assert all(name in sys.modules for name in snapstart.cold_path_modules())
        snapshot = {"ports": ports(), "settings": get_settings(), "dynamodb": clients.client("dynamodb"),
                    "session": clients._session(), "random": random.getstate()}
        assert snapshot["settings"].signing_keys() == ["key-1"] and DEFAULT_PROVIDERS
        ssm.put_parameter(Name=path + "token-signing-keys", Value="key-2,key-1", Type="SecureString", Overwrite=True)

        snapstart.after_restore()
        first_draws = [random.random() for _ in range(4)]
        assert not DEFAULT_PROVIDERS
        assert ports() is not snapshot["ports"] and get_settings() is not snapshot["settings"]
        assert clients._session() is not snapshot["session"] and clients.client("dynamodb") is not snapshot["dynamodb"]
        assert get_settings().signing_keys() == ["key-2", "key-1"]  # read anew, not the snapshot's
        with Client(app.app, stage_name="local", project_dir=str(ROOT)) as client:
            signed_up = client.http.post("/signup", headers={"Content-Type": "application/json"}, body=json.dumps(
                {"email": person.email, "name": person.name, "promotions": False}))
            home = client.http.get("/")
        assert signed_up.status_code == 202 and home.status_code == 200

        random.setstate(snapshot["random"])
        assert [random.random() for _ in range(4)] != first_draws  # not the snapshot's sequence
        random.setstate(snapshot["random"])  # a second environment, restored from the same snapshot
        snapstart.after_restore()
        assert [random.random() for _ in range(4)] != first_draws  # nor the first environment's
    finally:
        monkeypatch.undo()
        snapstart.after_restore()


def test_before_snapshot_runs_in_the_runtime_from_the_read_only_zip_on_its_bytecode(package, runtime_python,
                                                                                  tmp_path):
    """The deployed form: the hook finds the cold-path list in the zip and imports it all
    from the shipped bytecode (the local stage's settings: nothing here calls AWS)."""
    runtime = cold_path.runtime_folder(runtime_python, tmp_path / "runtime")
    shipped = read_only.unpack(package / "deployment.zip", tmp_path / "shipped")
    probe = COMPILE_SPY + """
sys.path[:0] = [sys.argv[1], sys.argv[2]]
import app
from chalicelib import snapstart
snapstart.before_snapshot()
import gc
paused_and_frozen = not gc.isenabled() and gc.get_freeze_count() > 10000
from functions.accounts import AccountView
from functions.signup import SignupRequest
models_built = SignupRequest.__pydantic_complete__ and AccountView.__pydantic_complete__
snapstart.after_restore()
names = snapstart.cold_path_modules()
print(json.dumps({"listed": len(names), "missing": [n for n in names if n not in sys.modules],
                  "paused_and_frozen": paused_and_frozen, "models_built": models_built,
                  "compiled": [p for p in compiled if p.startswith(sys.argv[1])]}))
"""
    env = {"PATH": "/usr/bin:/bin", **emulator.AWS_ENVIRONMENT, **emulator.stage_environment("local")}
    try:
        done = subprocess.run(read_only.command([runtime_python, "-I", "-S", "-c", probe, str(shipped), str(runtime)]),
                              env=env, capture_output=True, text=True, timeout=120, cwd=tmp_path)
    finally:
        read_only.remove(shipped)
    assert done.returncode == 0, done.stderr[-3000:]
    result = json.loads(done.stdout.splitlines()[-1])
    assert result["listed"] > 200 and result["missing"] == []
    # The snapshot holds no garbage; collection stays paused until the first event after restore.
    assert result["paused_and_frozen"]
    assert result["models_built"]  # a restored environment's first signup or account page builds no model
    # What the list holds comes from bytecode. Compiled from source: only what the local
    # stage adds (its sandbox processor), and the hooks' module where app.py does not import it.
    extra = [p for p in result["compiled"] if "/sandbox" not in p and not p.endswith("chalicelib/snapstart.py")]
    assert extra == [], extra
