"""Write the merge template for one stage: `python infra/merge_template.py STAGE OUT.json`.

`chalice package --merge-template OUT.json` then yields one template with the app and
its stateful resources. The merge adds what only exists once the table does: the mail
outbox stream's ARN for the stream handler's event source (the stage's config names a
placeholder there, which this replaces).
"""
from __future__ import annotations

import json
import sys
from pathlib import Path

import yaml

HERE = Path(__file__).resolve().parent
STATEFUL = HERE / "stateful.yaml"


class _CloudFormationLoader(yaml.SafeLoader):
    """YAML with CloudFormation's short tags, turned into their long JSON forms."""


def _tag(name: str, split_dots: bool = False):
    def construct(loader, node):
        value = loader.construct_scalar(node) if isinstance(node, yaml.ScalarNode) else loader.construct_sequence(node)
        if split_dots and isinstance(value, str):
            value = value.split(".", 1)
        return {name: value}

    return construct


_CloudFormationLoader.add_constructor("!Ref", _tag("Ref"))
_CloudFormationLoader.add_constructor("!Sub", _tag("Fn::Sub"))
_CloudFormationLoader.add_constructor("!GetAtt", _tag("Fn::GetAtt", split_dots=True))


def stateful_template() -> dict:
    return yaml.load(STATEFUL.read_text(), Loader=_CloudFormationLoader)


def merge_template(stage: str) -> dict:
    template = stateful_template()
    template["Parameters"]["Stage"]["Default"] = stage
    template["Resources"]["MailOutboxStream"] = {
        "Properties": {"Events": {"MailOutboxStreamDynamodbEventSource": {
            "Properties": {"Stream": {"Fn::GetAtt": ["Table", "StreamArn"]}}}}}
    }
    # API Gateway answers a path no route matches with its own 403 "Missing Authentication
    # Token"; the contract answers 404 in its error shape.
    template["Resources"]["UnknownRouteResponse"] = {
        "Type": "AWS::ApiGateway::GatewayResponse",
        "Properties": {
            "RestApiId": {"Ref": "RestAPI"},
            "ResponseType": "MISSING_AUTHENTICATION_TOKEN",
            "StatusCode": "404",
            "ResponseTemplates": {"application/json": json.dumps(UNKNOWN_ROUTE)},
        },
    }
    return template


UNKNOWN_ROUTE = {"error": {"code": "not_found", "message": "There is nothing at this address."}}


if __name__ == "__main__":
    stage, out = sys.argv[1], Path(sys.argv[2])
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(merge_template(stage), indent=2))
    print(f"wrote {out}")
