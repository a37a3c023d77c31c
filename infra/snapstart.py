"""Lambda SnapStart on the API function, for a stage that asks for it:
`python -m infra.snapstart STAGE SAM_JSON` rewrites the template chalice wrote.

The setting is `"snapstart": true` in the stage's `lambda_functions.api_handler` in
.chalice/config.json; chalice itself ignores the key, so `chalice deploy` never turns
SnapStart on (docs/operations.md says so).

SnapStart applies to published versions only, never to $LATEST. So the function gets
`SnapStart: {ApplyOn: PublishedVersions}` and SAM's `AutoPublishAlias` (each deploy that
changes it publishes a version and points the alias at it), and everything that invokes
it must name the alias: chalice wires each API integration and the API's invoke permission
to the unqualified function, which a dictionary merge (--merge-template) cannot rewrite,
hence this step. `{"Ref": "APIHandler.Alias"}` is SAM's reference to the alias it makes;
in an integration URI it sits in a Fn::Sub variable, where SAM resolves it to the alias's
ARN and cfn-lint can follow it.

A package whose runtime is older than python3.12 is refused for such a stage: Lambda would
not snapshot it. `--older-runtime-for-tests` (passed by `make package PACKAGE_FOR_TESTS=1`,
which the deploy tests use where no CPython 3.12 is found) rewrites it anyway, with a warning,
so that the template's shape can still be checked; such a template is never to be deployed.
"""
from __future__ import annotations

import argparse
import copy
import json
import re
import sys
from pathlib import Path

CHALICE_CONFIG = Path(__file__).resolve().parent.parent / ".chalice" / "config.json"
FUNCTION = "APIHandler"
CONFIG_NAME = "api_handler"
PERMISSION = "APIHandlerInvokePermission"
ALIAS = "live"
SNAPSTART = {"ApplyOn": "PublishedVersions"}
MINIMUM_RUNTIME = (3, 12)  # SnapStart for Python: python3.12 and newer
INVOCATIONS = "arn:${AWS::Partition}:apigateway:${AWS::Region}:lambda:path/2015-03-31/functions/%s/invocations"
UNQUALIFIED_URI = {"Fn::Sub": INVOCATIONS % f"${{{FUNCTION}.Arn}}"}
ALIAS_URI = {"Fn::Sub": [INVOCATIONS % "${Function}", {"Function": {"Ref": f"{FUNCTION}.Alias"}}]}


def wanted(stage: str) -> bool:
    stages = json.loads(CHALICE_CONFIG.read_text())["stages"]
    setting = stages[stage].get("lambda_functions", {}).get(CONFIG_NAME, {}).get("snapstart", False)
    if not isinstance(setting, bool):
        raise ValueError(f"stage {stage}: lambda_functions.{CONFIG_NAME}.snapstart must be true or false")
    return setting


def _runtime(function: dict) -> tuple[int, int]:
    found = re.fullmatch(r"python(\d+)\.(\d+)", function["Properties"]["Runtime"])
    if not found:
        raise ValueError(f"{FUNCTION} has no Python runtime: {function['Properties']['Runtime']}")
    return int(found[1]), int(found[2])


def _to_alias(node) -> int:
    """Point every integration URI under node at the alias; returns how many it changed."""
    changed = 0
    if isinstance(node, dict):
        for key, value in node.items():
            if key == "uri" and value == UNQUALIFIED_URI:
                node[key] = copy.deepcopy(ALIAS_URI)
                changed += 1
            else:
                changed += _to_alias(value)
    elif isinstance(node, list):
        changed += sum(_to_alias(item) for item in node)
    return changed


def apply(template: dict, stage: str, older_runtime_for_tests: bool = False) -> dict:
    """The template with SnapStart on the API function if the stage wants it, else as it was.
    older_runtime_for_tests: the deploy tests' package only (see the module's docstring)."""
    if not wanted(stage):
        return template
    resources = template["Resources"]
    function = resources[FUNCTION]
    if _runtime(function) < MINIMUM_RUNTIME:
        runtime = function["Properties"]["Runtime"]
        if not older_runtime_for_tests:
            raise ValueError(f"stage {stage} wants SnapStart, which for Python needs python3.12 or newer; the package "
                             f"is {runtime}: build it with `make package` (PACKAGE_PYTHON)")
        print(f"WARNING (tests only): SnapStart put on {FUNCTION} over {runtime}, which Lambda does not snapshot "
              "(python3.12 or newer): this template is for the tests' checks of its shape, never deploy it",
              file=sys.stderr)
    function["Properties"]["SnapStart"] = dict(SNAPSTART)
    function["Properties"]["AutoPublishAlias"] = ALIAS
    if _to_alias(resources["RestAPI"]) == 0:
        raise ValueError(f"no API integration invokes {FUNCTION} in the shape chalice used to write")
    permission = resources[PERMISSION]["Properties"]
    if permission["FunctionName"] != {"Ref": FUNCTION}:
        raise ValueError(f"{PERMISSION} names {permission['FunctionName']}, not the function chalice used to")
    permission["FunctionName"] = {"Ref": f"{FUNCTION}.Alias"}
    left = [name for name, resource in resources.items()
            if resource.get("Type") in ("AWS::Serverless::Api", "AWS::Lambda::Permission")
            and f"{FUNCTION}.Arn" in json.dumps(resource)]
    if left:
        raise ValueError(f"still invoking the unqualified {FUNCTION} (no SnapStart there): {left}")
    return template


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("stage")
    parser.add_argument("sam", type=Path, help="the template chalice package wrote, rewritten in place")
    parser.add_argument("--older-runtime-for-tests", action="store_true",
                        help="the deploy tests only: put SnapStart over a runtime older than python3.12, with a warning")
    args = parser.parse_args()
    stage, sam = args.stage, args.sam
    template = json.loads(sam.read_text())
    try:
        rewritten = apply(template, stage, args.older_runtime_for_tests)
    except ValueError as refused:
        sys.exit(f"FATAL: {refused}")
    sam.write_text(json.dumps(rewritten, indent=2) + "\n")
    print(f"{sam}: SnapStart on {FUNCTION} through alias {ALIAS!r}" if wanted(stage) else
          f"{sam}: no SnapStart for stage {stage}")


if __name__ == "__main__":
    main()
