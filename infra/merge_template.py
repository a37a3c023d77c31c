"""Write the merge template for one stage: `python infra/merge_template.py STAGE OUT.json`.

`chalice package --merge-template OUT.json` then yields one template with the app and
its stateful resources. The merge adds what only exists once the table and the functions
do: the mail outbox stream's ARN for the stream handler's event source (the stage's config
names a placeholder there, which this replaces), and the alarms on the functions and the
API, which must name resources CloudFormation names at deploy time.
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
    template["Resources"].update(function_alarms())
    return template


# Chalice's resource names for the functions an event or a customer starts (operator
# functions report their own errors to the operator who runs them).
WATCHED_FUNCTIONS = {
    "APIHandler": "the API",
    "MailOutboxStream": "the mail sender (table stream)",
    "MailOutboxSweeper": "the mail sweeper",
    "SesFeedback": "SES feedback (bounces, complaints)",
    "OrdersAwaitingStock": "the retry of paid orders waiting for stock",
    "UnconfirmedAccountsPurge": "the daily deletion of never-confirmed signups",
}


def _alarm(name: str, description: str, namespace: str, metric: str, dimensions: list[dict], statistic: str,
           threshold: float, period: int = 300) -> dict:
    return {
        "Type": "AWS::CloudWatch::Alarm",
        "Properties": {
            "AlarmName": {"Fn::Sub": f"${{AppName}}-${{Stage}}-{name}"},
            "AlarmDescription": description,
            "Namespace": namespace,
            "MetricName": metric,
            "Dimensions": dimensions,
            "Statistic": statistic,
            "Period": period,
            "EvaluationPeriods": 1,
            "Threshold": threshold,
            "ComparisonOperator": "GreaterThanThreshold",
            "TreatMissingData": "notBreaching",
            "AlarmActions": [{"Ref": "AlarmTopic"}],
        },
    }


def function_alarms() -> dict:
    alarms = {}
    for resource, what in WATCHED_FUNCTIONS.items():
        function = [{"Name": "FunctionName", "Value": {"Ref": resource}}]
        slug = resource.lower()
        alarms[f"{resource}ErrorsAlarm"] = _alarm(
            f"{slug}-errors", f"{what}: invocations failed (see its log group).", "AWS/Lambda", "Errors", function,
            "Sum", 0)
        alarms[f"{resource}ThrottlesAlarm"] = _alarm(
            f"{slug}-throttles", f"{what}: invocations throttled (concurrency exhausted).", "AWS/Lambda", "Throttles",
            function, "Sum", 0)
    alarms["MailOutboxStreamIteratorAgeAlarm"] = _alarm(
        "mail-stream-iterator-age", "The mail sender reads the table stream more than 5 minutes late.", "AWS/Lambda",
        "IteratorAge", [{"Name": "FunctionName", "Value": {"Ref": "MailOutboxStream"}}], "Maximum", 300_000, 60)
    alarms["Api5xxAlarm"] = _alarm(
        "api-5xx", "The API answered 5xx: every 5xx is a bug.", "AWS/ApiGateway", "5XXError",
        [{"Name": "ApiName", "Value": {"Ref": "AppName"}}, {"Name": "Stage", "Value": "api"}], "Sum", 0)
    return alarms


UNKNOWN_ROUTE = {"error": {"code": "not_found", "message": "There is nothing at this address."}}


if __name__ == "__main__":
    stage, out = sys.argv[1], Path(sys.argv[2])
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(merge_template(stage), indent=2))
    print(f"wrote {out}")
