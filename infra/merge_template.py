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
CHALICE_CONFIG = HERE.parent / ".chalice" / "config.json"


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
    # API Gateway answers a path no route matches with its own 403 "Missing Authentication
    # Token"; the contract answers 404 in its error shape.
    template["Resources"]["UnknownRouteResponse"] = _gateway_response("MISSING_AUTHENTICATION_TOKEN", "404", UNKNOWN_ROUTE)
    template["Resources"].update(function_alarms())
    template["Resources"].update(function_failure_handling(stage))
    template["Resources"].update(api_protection())
    return template


def _skips(*reasons: tuple[str, str]) -> dict:
    """checkov's in-template skips: each with the one-line reason it does not apply."""
    return {"checkov": {"skip": [{"id": check, "comment": why} for check, why in reasons]}}


# What no function here needs, whatever it does.
EVERY_FUNCTION_SKIPS = (
    ("CKV_AWS_117", "Reaches only AWS APIs over TLS; a VPC would add NAT cost and cold start and protect nothing."),
    ("CKV_AWS_173", "The environment holds names and URLs only; secrets are read from SSM at run time."),
)
# Functions nobody invokes asynchronously, and where their failures go instead.
SYNCHRONOUS_FUNCTIONS = {
    "APIHandler": "Invoked synchronously by API Gateway; the client gets the error and the 5xx alarm fires.",
    "MailOutboxStream": "Stream batches: a failed one goes to the event source mapping's on-failure destination.",
    "SesFeedback": "SQS event source: a failed message goes to the feedback queue's own dead-letter queue.",
}
OPERATOR_FUNCTION_DLQ_SKIP = "Invoked synchronously by an operator (chalice invoke), who sees the error."
# Started by a schedule, asynchronously: a run that fails its retries lands in the failure queue.
SCHEDULED_FUNCTIONS = ("MailOutboxSweeper", "UnconfirmedAccountsPurge", "OrdersAwaitingStock", "RetentionPurge",
                       "ContestCommitments")
FAILURE_QUEUE = {"Fn::GetAtt": ["FunctionFailureQueue", "Arn"]}


def _resource_name(function_name: str) -> str:
    """Chalice's logical id for a function: ops_import_pins -> OpsImportPins."""
    return "".join(part.capitalize() for part in function_name.split("_"))


def function_failure_handling(stage: str) -> dict:
    functions = json.loads(CHALICE_CONFIG.read_text())["stages"][stage]["lambda_functions"]
    resources: dict[str, dict] = {}
    for name in SCHEDULED_FUNCTIONS:
        resources[name] = {"Metadata": _skips(*EVERY_FUNCTION_SKIPS), "Properties": {
            "DeadLetterQueue": {"Type": "SQS", "TargetArn": FAILURE_QUEUE}}}
    for name, why in SYNCHRONOUS_FUNCTIONS.items():
        resources[name] = {"Metadata": _skips(*EVERY_FUNCTION_SKIPS, ("CKV_AWS_116", why))}
    for function in (name for name in functions if name.startswith("ops_")):
        resources[_resource_name(function)] = {
            "Metadata": _skips(*EVERY_FUNCTION_SKIPS, ("CKV_AWS_116", OPERATOR_FUNCTION_DLQ_SKIP))}
    # A batch the sender keeps failing is split to find the bad record, then set aside after
    # a few tries rather than holding up the shard for a day; its jobs stay in the table.
    stream = resources.setdefault("MailOutboxStream", {})
    stream["Properties"] = {"Events": {"MailOutboxStreamDynamodbEventSource": {"Properties": {
        "Stream": {"Fn::GetAtt": ["Table", "StreamArn"]},
        "MaximumRetryAttempts": 5,
        "BisectBatchOnFunctionError": True,
        "DestinationConfig": {"OnFailure": {"Type": "SQS", "Destination": FAILURE_QUEUE}},
    }}}}
    return resources


# Chalice's resource names for the functions an event or a customer starts (operator
# functions report their own errors to the operator who runs them).
WATCHED_FUNCTIONS = {
    "APIHandler": "the API",
    "MailOutboxStream": "the mail sender (table stream)",
    "MailOutboxSweeper": "the mail sweeper",
    "SesFeedback": "SES feedback (bounces, complaints)",
    "OrdersAwaitingStock": "the retry of paid orders waiting for stock",
    "UnconfirmedAccountsPurge": "the daily deletion of never-confirmed signups",
    "RetentionPurge": "the daily deletion of friend data and contest contacts past their retention",
    "ContestCommitments": "the commitment of a closed contest's draw seed",
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
TOO_MANY = {"error": {"code": "too_many_requests", "message": "Too many requests; please try again in a few minutes."}}
FILTERED = {"error": {"code": "forbidden", "message": "This request was refused."}}

# The API stage's throttle, for every route together (API Gateway answers 429 above it).
STAGE_RATE_PER_SECOND = 50
STAGE_BURST = 100
# Per client IP, per 5 minutes, on the forms that make us send mail or store what a stranger
# typed. Never on POST /unsubscribe/{token}, whose one-click posts come from a few mail
# providers' addresses, nor on the card processor's callbacks.
RATE_LIMITED_FORMS = {  # every request that can make the store mail an address someone typed
    "signup": ("POST", r"^(/api)?/signup$", 20),
    "login": ("POST", r"^(/api)?/login$", 20),
    "contact": ("POST", r"^(/api)?/contact$", 20),
    "friends-forget": ("POST", r"^(/api)?/friends/forget$", 20),
    "referrals": ("POST", r"^(/api)?/referrals$", 20),
    "survey-responses": ("POST", r"^(/api)?/surveys/[^/]+/responses$", 50),
    "address-change": ("PATCH", r"^(/api)?/account$", 20),
    "address-change-form": ("POST", r"^(/api)?/my-account/info$", 20),
}
# What an access record holds: no path (it carries tokens), no IP, no user agent (P23).
ACCESS_LOG_FORMAT = json.dumps({
    "requestId": "$context.requestId", "time": "$context.requestTimeEpoch", "method": "$context.httpMethod",
    "route": "$context.resourcePath", "status": "$context.status", "latencyMs": "$context.responseLatency",
    "bytes": "$context.responseLength", "waf": "$context.wafResponseCode",
}, separators=(",", ":"))
ACCESS_LOG_RETENTION_DAYS = 365  # no personal data in them; a year of trends


def _visibility(metric: str) -> dict:
    # Sampled requests would keep client IPs and whole URLs (tokens) in WAF's console.
    return {"SampledRequestsEnabled": False, "CloudWatchMetricsEnabled": True,
            "MetricName": {"Fn::Sub": f"${{AppName}}-${{Stage}}-{metric}"}}


def _rate_rule(priority: int, name: str, method: str, path: str, limit: int) -> dict:
    no_transform = [{"Priority": 0, "Type": "NONE"}]
    return {
        "Name": f"{name}-rate",
        "Priority": priority,
        "Action": {"Block": {"CustomResponse": {"ResponseCode": 429, "CustomResponseBodyKey": "too-many"}}},
        "VisibilityConfig": _visibility(f"{name}-rate"),
        "Statement": {"RateBasedStatement": {
            "Limit": limit, "AggregateKeyType": "IP", "EvaluationWindowSec": 300,
            "ScopeDownStatement": {"AndStatement": {"Statements": [
                {"ByteMatchStatement": {"FieldToMatch": {"Method": {}}, "PositionalConstraint": "EXACTLY",
                                        "SearchString": method, "TextTransformations": no_transform}},
                {"RegexMatchStatement": {"FieldToMatch": {"UriPath": {}}, "RegexString": path,
                                         "TextTransformations": no_transform}},
            ]}},
        }},
    }


def _gateway_response(kind: str, status: str, body: dict) -> dict:
    return {"Type": "AWS::ApiGateway::GatewayResponse", "Properties": {
        "RestApiId": {"Ref": "RestAPI"}, "ResponseType": kind, "StatusCode": status,
        "ResponseTemplates": {"application/json": json.dumps(body)}}}


def api_protection() -> dict:
    """Stage throttling, access logs without personal data, and a web ACL with per-IP rate
    limits on the forms abuse would use to make the store send mail."""
    rules = [_rate_rule(i, name, *rule) for i, (name, rule) in enumerate(RATE_LIMITED_FORMS.items())]
    rules.append({
        "Name": "known-bad-inputs", "Priority": len(rules), "OverrideAction": {"None": {}},
        "VisibilityConfig": _visibility("known-bad-inputs"),
        "Statement": {"ManagedRuleGroupStatement": {"VendorName": "AWS", "Name": "AWSManagedRulesKnownBadInputsRuleSet"}},
    })
    return {
        "RestAPI": {"Properties": {
            "MethodSettings": [{"ResourcePath": "/*", "HttpMethod": "*", "ThrottlingRateLimit": STAGE_RATE_PER_SECOND,
                                "ThrottlingBurstLimit": STAGE_BURST, "MetricsEnabled": True}],
            "AccessLogSetting": {"DestinationArn": {"Fn::GetAtt": ["ApiAccessLogs", "Arn"]},
                                 "Format": ACCESS_LOG_FORMAT},
            # No X-Ray here: API Gateway's segments record the whole URL, and ours carry tokens.
            "TracingEnabled": False,
        }, "Metadata": _skips(
            ("CKV_AWS_120", "Responses are personal (sessions, orders); a cache would serve one customer's to another."),
            ("CKV_AWS_73", "API Gateway's X-Ray segments record the whole URL, which carries sign-in tokens."),
        )},
        "ApiAccessLogs": {"Type": "AWS::Logs::LogGroup", "Properties": {
            "LogGroupName": {"Fn::Sub": "/${AppName}/${Stage}/api-access"},
            "RetentionInDays": ACCESS_LOG_RETENTION_DAYS,
            "KmsKeyId": {"Fn::GetAtt": ["MessagingKey", "Arn"]},
        }},
        "ThrottledResponse": _gateway_response("THROTTLED", "429", TOO_MANY),
        "FilteredResponse": _gateway_response("WAF_FILTERED", "403", FILTERED),
        "ApiFirewall": {"Type": "AWS::WAFv2::WebACL", "Properties": {
            "Name": {"Fn::Sub": "${AppName}-${Stage}-api"},
            "Scope": "REGIONAL",
            "DefaultAction": {"Allow": {}},
            "VisibilityConfig": _visibility("api"),
            "CustomResponseBodies": {"too-many": {"ContentType": "APPLICATION_JSON", "Content": json.dumps(TOO_MANY)}},
            "Rules": rules,
        }},
        "ApiFirewallAssociation": {"Type": "AWS::WAFv2::WebACLAssociation", "DependsOn": "RestAPIapiStage",
                                   "Properties": {
            "WebACLArn": {"Fn::GetAtt": ["ApiFirewall", "Arn"]},
            "ResourceArn": {"Fn::Sub": "arn:${AWS::Partition}:apigateway:${AWS::Region}::/restapis/${RestAPI}/stages/api"},
        }},
    }


if __name__ == "__main__":
    stage, out = sys.argv[1], Path(sys.argv[2])
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(merge_template(stage), indent=2))
    print(f"wrote {out}")
