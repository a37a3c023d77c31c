"""SnapStart where the stage asks for it: the prod template publishes versions of the API
function with SnapStart and invokes it only through their alias, and the hooks, run in the
runtime's order (import app, before snapshot, after restore, a request), warm the cold path
before the snapshot and give each restored environment its own clients, settings, secrets
and random seed."""
from __future__ import annotations

import copy
import json
import os
import random
import subprocess
import sys
import types
from pathlib import Path

import pytest

from infra import cold_path, read_only, snapstart as template_step
from local_stage import emulator
from tests.deploy.conftest import COMPILE_SPY, DEPLOYED_RUNTIME, INSTALLED, ROOT

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


def _version(runtime: str) -> tuple[int, int]:
    major, minor = runtime.removeprefix("python").split(".")
    return int(major), int(minor)


def test_the_prod_api_function_publishes_snapstart_versions_and_the_api_invokes_only_their_alias(package):
    template = json.loads((package / "sam.json").read_text())
    resources = template["Resources"]
    function = resources["APIHandler"]["Properties"]
    assert function["SnapStart"] == {"ApplyOn": "PublishedVersions"} and function["AutoPublishAlias"] == "live"
    # Every function runs the Python that built the package (test_bytecode checks which that
    # is): .venv-package's, of the deployed runtime, new enough for SnapStart; or, where make
    # found no CPython 3.12, .venv's (make package PACKAGE_FOR_TESTS=1), whatever its version.
    built = json.loads((package / "bytecode.json").read_text())
    functions = [v["Properties"] for v in resources.values() if v["Type"] == "AWS::Serverless::Function"]
    assert {f["Runtime"] for f in functions} == {built["runtime"]}
    if Path(built["python"]) != ROOT / ".venv" / "bin" / "python":
        assert Path(built["python"]) == ROOT / ".venv-package" / "bin" / "python"
        assert built["runtime"] == DEPLOYED_RUNTIME
        assert _version(DEPLOYED_RUNTIME) >= template_step.MINIMUM_RUNTIME  # SnapStart for Python
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


def _as_chalice_wrote_it(package: Path, runtime: str) -> dict:
    """The packaged template before the SnapStart step, with the API function on `runtime`."""
    template = json.loads((package / "sam.json").read_text())
    function = template["Resources"]["APIHandler"]["Properties"]
    for key in ("SnapStart", "AutoPublishAlias"):
        function.pop(key)
    function["Runtime"] = runtime
    unqualified = copy.deepcopy(template_step.UNQUALIFIED_URI)
    api = json.dumps(template["Resources"]["RestAPI"]).replace(
        json.dumps(template_step.ALIAS_URI), json.dumps(unqualified))
    template["Resources"]["RestAPI"] = json.loads(api)
    template["Resources"]["APIHandlerInvokePermission"]["Properties"]["FunctionName"] = {"Ref": "APIHandler"}
    return template


def test_the_template_step_leaves_a_stage_without_snapstart_alone_and_refuses_an_older_runtime(package, capsys):
    chalice_template = _as_chalice_wrote_it(package, DEPLOYED_RUNTIME)
    assert template_step.apply(copy.deepcopy(chalice_template), "dev") == chalice_template
    assert template_step.apply(copy.deepcopy(chalice_template), "prod")["Resources"]["APIHandler"]["Properties"][
        "SnapStart"] == {"ApplyOn": "PublishedVersions"}
    assert capsys.readouterr().err == ""
    older = _as_chalice_wrote_it(package, "python3.11")
    with pytest.raises(ValueError, match="python3.12 or newer"):
        template_step.apply(copy.deepcopy(older), "prod")
    # The deploy tests' switch alone puts it there, and says so.
    rewritten = template_step.apply(copy.deepcopy(older), "prod", older_runtime_for_tests=True)
    assert rewritten["Resources"]["APIHandler"]["Properties"]["SnapStart"] == {"ApplyOn": "PublishedVersions"}
    assert "WARNING (tests only)" in capsys.readouterr().err


# make, as an operator runs it: none of the caller's make variables or switches.
def _operator_env() -> dict:
    leave = ("MAKEFLAGS", "MFLAGS", "MAKELEVEL", "PACKAGE_PYTHON", "PACKAGE_PYTHON_CANDIDATES", "PACKAGE_FOR_TESTS")
    return {k: v for k, v in os.environ.items() if k not in leave and not k.startswith("AWS_")}


def _make(*arguments: str) -> subprocess.CompletedProcess:
    return subprocess.run(["make", "--no-print-directory", "-o", INSTALLED, *arguments], cwd=ROOT, env=_operator_env(),
                          capture_output=True, text=True, timeout=120)


def test_make_package_without_a_cpython_3_12_refuses_unless_the_deploy_tests_switch_says_it_is_for_them(tmp_path):
    """The cheap part only: the refusals stop make before anything is built, and the switch's
    wiring is read from a dry run (the package fixture builds the package itself)."""
    out = tmp_path / "prod"
    for none_found, said in (("PACKAGE_PYTHON=", "(PACKAGE_PYTHON is empty)"),
                             ("PACKAGE_PYTHON_CANDIDATES=", "(looked for: nothing)")):
        refused = _make("package", "STAGE=prod", f"PACKAGE_OUT={out}", none_found)
        assert refused.returncode != 0
        assert "FATAL: no CPython 3.12 for make package" in refused.stderr and said in refused.stderr, refused.stderr
        assert list(tmp_path.iterdir()) == []  # stopped before the merge template or chalice
    # The operator's command never passes the switch on; the tests' package is built by .venv then.
    found = _make("-n", "package", "STAGE=prod", f"PACKAGE_OUT={out}", "PACKAGE_PYTHON=/opt/python3.12/bin/python3.12")
    assert found.returncode == 0, found.stderr
    assert ".venv-package/bin/chalice package" in found.stdout and "--older-runtime-for-tests" not in found.stdout
    assert any(line.rstrip().endswith(f"-m infra.snapstart prod {out}/sam.json") for line in found.stdout.splitlines())
    for_tests = _make("-n", "package", "STAGE=prod", f"PACKAGE_OUT={out}", "PACKAGE_PYTHON=", "PACKAGE_FOR_TESTS=1")
    assert for_tests.returncode == 0, for_tests.stderr
    assert ".venv/bin/chalice package" in for_tests.stdout and ".venv-package" not in for_tests.stdout
    assert f"infra.snapstart prod {out}/sam.json --older-runtime-for-tests" in for_tests.stdout
    assert list(tmp_path.iterdir()) == []


def test_the_snapstart_step_refuses_an_older_runtime_unless_told_the_template_is_for_the_tests(package, tmp_path):
    sam = tmp_path / "sam.json"
    sam.write_text(json.dumps(_as_chalice_wrote_it(package, "python3.11")))
    written = sam.read_text()
    step = [sys.executable, "-m", "infra.snapstart", "prod", str(sam)]
    refused = subprocess.run(step, cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert refused.returncode == 1 and refused.stderr.startswith("FATAL: stage prod wants SnapStart"), refused.stderr
    assert sam.read_text() == written
    for_tests = subprocess.run([*step, "--older-runtime-for-tests"], cwd=ROOT, capture_output=True, text=True,
                               timeout=60)
    assert for_tests.returncode == 0, for_tests.stderr
    assert "WARNING (tests only): SnapStart put on APIHandler over python3.11" in for_tests.stderr
    function = json.loads(sam.read_text())["Resources"]["APIHandler"]["Properties"]
    assert function["SnapStart"] == {"ApplyOn": "PublishedVersions"} and function["Runtime"] == "python3.11"


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
    from shared.ports import process_ports
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
        snapshot = {"ports": process_ports(), "settings": get_settings(), "dynamodb": clients.client("dynamodb"),
                    "session": clients._session(), "random": random.getstate()}
        assert snapshot["settings"].signing_keys() == ["key-1"] and DEFAULT_PROVIDERS
        ssm.put_parameter(Name=path + "token-signing-keys", Value="key-2,key-1", Type="SecureString", Overwrite=True)

        snapstart.after_restore()
        first_draws = [random.random() for _ in range(4)]
        assert not DEFAULT_PROVIDERS
        assert process_ports() is not snapshot["ports"] and get_settings() is not snapshot["settings"]
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


def test_before_snapshot_reads_no_secret_so_a_version_publishes_before_the_stage_has_any(aws, unpacked, monkeypatch):
    """Lambda runs the hook when it publishes a version, on a stage's first deploy too, when
    SSM may hold none of its secrets yet: the hook succeeds, and the first request after
    restore is what reads them (and names the missing ones)."""
    import boto3

    from chalicelib import snapstart
    from shared.settings import get_settings

    path = "/calling-card-store/before-any-secret/"
    assert boto3.client("ssm").get_parameters_by_path(Path=path, Recursive=True)["Parameters"] == []
    monkeypatch.setenv("SECRETS_SOURCE", "ssm")
    monkeypatch.setenv("SSM_PARAMETER_PATH", path)
    monkeypatch.setattr(snapstart, "COLD_PATH", unpacked / "chalicelib" / "cold_path.txt")
    try:
        snapstart.after_restore()
        snapstart.before_snapshot()
        assert all(name in sys.modules for name in snapstart.cold_path_modules())
        assert get_settings.cache_info().currsize == 0  # no settings with secrets in the snapshot
        snapstart.after_restore()
        with pytest.raises(RuntimeError, match="SSM parameters missing"):
            get_settings()
    finally:
        monkeypatch.undo()
        snapstart.after_restore()


def test_before_snapshot_runs_in_the_runtime_from_the_read_only_zip_on_its_bytecode(package, runtime_python,
                                                                                  tmp_path):
    """The deployed form: the hook finds the cold-path list in the zip and imports it all
    from the shipped bytecode. The stage reads its secrets from SSM, which holds none and is
    out of reach (a closed local port): the hook calls no AWS API at all."""
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
    env = {"PATH": "/usr/bin:/bin", **emulator.AWS_ENVIRONMENT, **emulator.stage_environment("local"),
           "SECRETS_SOURCE": "ssm", "SSM_PARAMETER_PATH": "/calling-card-store/prod/",
           "AWS_ENDPOINT_URL": "http://127.0.0.1:9", "AWS_MAX_ATTEMPTS": "1"}
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
