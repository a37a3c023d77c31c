"""The template CloudFormation deploys, from the one `make package` writes:
`python -m infra.expand out/STAGE/sam.json out/STAGE/expanded.json`.

`sam.json` is a SAM template (Transform: AWS::Serverless-2016-10-31): CloudFormation runs the
SAM transform on it when the change set is made, and what it then creates is the expanded
template: the API's deployment and stage, the functions' event source mappings, versions
and aliases, their permissions. cfn-lint 1.x lints a SAM template without expanding it and
checkov reads the SAM level only, so both are run on this expansion too (`make test`).

Two steps stand in for the deploy's own:
- `aws cloudformation package` uploads `./deployment.zip` and writes its S3 address into
  each function's CodeUri; the transform wants such an address, so a placeholder one is put
  there (PACKAGED_CODE), as the upload would.
- aws-sam-translator, the library behind CloudFormation's SAM transform, expands the result
  for one region. It is run with `passthrough_metadata`, so that each resource it generates
  carries its SAM resource's Metadata: the checkov skips, each with its reason, reach the
  API's generated stage and deployment as they reach the API.
"""
from __future__ import annotations

import argparse
import copy
import json
import os
import sys
from pathlib import Path

# Where `aws cloudformation package` would have put the zip: any s3:// address will do.
PACKAGED_CODE = "s3://artifact-bucket/deployment.zip"
REGION = "us-east-1"


class _NoManagedPolicies:
    """The managed-policy loader the transform asks when a function names an AWS managed
    policy by name. Ours name none (each has its own role from .chalice/policies)."""

    def load(self) -> dict:
        raise RuntimeError("a function names an AWS managed policy: expanding it needs IAM, which this step never calls")


def with_packaged_code(template: dict) -> dict:
    """The template as `aws cloudformation package` leaves it: CodeUri an S3 address."""
    packaged = copy.deepcopy(template)
    for resource in packaged["Resources"].values():
        if resource.get("Type") == "AWS::Serverless::Function":
            code = resource["Properties"].get("CodeUri")
            if isinstance(code, str) and not code.startswith("s3://"):
                resource["Properties"]["CodeUri"] = PACKAGED_CODE
    return packaged


def expand(template: dict, region: str = REGION) -> dict:
    """The SAM transform over the packaged template, with each SAM resource's Metadata on
    every resource generated from it."""
    os.environ.setdefault("AWS_DEFAULT_REGION", region)  # the transform takes the region from boto3
    from samtranslator.translator.transform import transform

    return transform(with_packaged_code(template), {}, _NoManagedPolicies(), passthrough_metadata=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("sam", type=Path, help="the template make package wrote (sam.json)")
    parser.add_argument("out", type=Path, help="where to write the expanded template")
    args = parser.parse_args()
    try:
        expanded = expand(json.loads(args.sam.read_text()))
    except Exception as refused:  # the transform's own errors say which resource and why
        sys.exit(f"FATAL: the SAM transform refused {args.sam}: {refused}")
    args.out.write_text(json.dumps(expanded, indent=2) + "\n")
    print(f"wrote {args.out} (what CloudFormation deploys after the SAM transform)")


if __name__ == "__main__":
    main()
