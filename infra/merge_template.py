"""Write the merge template for one stage: `python -m infra.merge_template STAGE OUT.json`.

`chalice package --merge-template OUT.json` then yields one template with the app and
its stateful resources. Chalice merges it key by key into what it wrote (a list or a value
replaces, a mapping merges), so a resource here may be a few properties of one of chalice's.
The merge adds what only exists once the table and the functions do, or what chalice cannot
say: the event sources' queue and stream by reference (so CloudFormation creates them
first), the stream's filter, each function's name and declared log group, the alarms that
name functions and the API, the API's protection (stage throttling, access logs, a web ACL,
gateway responses inside its definition) and, for the deployed stages, the sender's DKIM
records as outputs. `python -m infra.expand` then shows what the SAM transform makes of it.
"""
from __future__ import annotations

import json
import sys
from pathlib import Path

import yaml

from infra import policies
from shared.store.mail import WAITED_FOR

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
    # The SES identity is the domain of the stage's sender address (policies.sender).
    template["Parameters"]["SenderDomain"]["Default"] = policies.sender(stage).domain
    resources = template["Resources"]
    resources.update(function_alarms(stage))
    _merge(resources, function_failure_handling(stage))
    _merge(resources, function_names_and_logs(stage))
    _merge(resources, event_sources())
    _merge(resources, api_protection(stage))
    if stage in policies.DEPLOYED_STAGES:
        template["Outputs"].update(dkim_outputs())
    return template


def _merge(into: dict, more: dict) -> dict:
    """Key by key, as chalice merges: mappings merge, anything else replaces."""
    for key, value in more.items():
        if isinstance(value, dict) and isinstance(into.get(key), dict):
            _merge(into[key], value)
        else:
            into[key] = value
    return into


def _functions(stage: str) -> dict[str, dict]:
    """The stage's functions as .chalice/config.json lists them, with their settings."""
    return json.loads(CHALICE_CONFIG.read_text())["stages"][stage]["lambda_functions"]


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


def function_failure_handling(stage: str) -> dict:
    functions = _functions(stage)
    resources: dict[str, dict] = {}
    for name in SCHEDULED_FUNCTIONS:
        resources[name] = {"Metadata": _skips(*EVERY_FUNCTION_SKIPS), "Properties": {
            "DeadLetterQueue": {"Type": "SQS", "TargetArn": FAILURE_QUEUE}}}
    for name, why in SYNCHRONOUS_FUNCTIONS.items():
        resources[name] = {"Metadata": _skips(*EVERY_FUNCTION_SKIPS, ("CKV_AWS_116", why))}
    for function in (name for name in functions if name.startswith("ops_")):
        resources[policies.logical_id(function)] = {
            "Metadata": _skips(*EVERY_FUNCTION_SKIPS, ("CKV_AWS_116", OPERATOR_FUNCTION_DLQ_SKIP))}
    # A batch the sender keeps failing is split to find the bad record, then set aside after
    # a few tries rather than holding up the shard for a day; its jobs stay in the table.
    stream = resources.setdefault("MailOutboxStream", {})
    stream["Properties"] = {"Events": {"MailOutboxStreamDynamodbEventSource": {"Properties": {
        "MaximumRetryAttempts": 5,
        "BisectBatchOnFunctionError": True,
        "DestinationConfig": {"OnFailure": {"Type": "SQS", "Destination": FAILURE_QUEUE}},
    }}}}
    return resources


# The stream brings every write to the table; the mail sender acts on new mail jobs of the
# kinds a person waits for alone (functions.mail_outbox.handle_stream_records skips the
# rest, and the sweeper sends bulk mail). Lambda drops the rest before invoking it, so page
# views, sessions and counters neither invoke it nor wait behind its reserved concurrency.
MAIL_STREAM_FILTER = {"eventName": ["INSERT"],
                      "dynamodb": {"NewImage": {"type": {"S": ["mail_job"]}, "kind": {"S": list(WAITED_FOR)}}}}
# SQS keeps a message hidden this long after a receive; AWS advises six times the function's
# timeout, so that a batch being retried by Lambda is not handed out again meanwhile.
FEEDBACK_VISIBILITY_PER_TIMEOUT = 6


def event_sources() -> dict:
    """Each event source names its stream or queue by reference, which also makes
    CloudFormation create them before the mapping (a name built with Fn::Sub orders nothing)."""
    return {
        "MailOutboxStream": {"Properties": {"Events": {"MailOutboxStreamDynamodbEventSource": {"Properties": {
            "Stream": {"Fn::GetAtt": ["Table", "StreamArn"]},
            "FilterCriteria": {"Filters": [{"Pattern": json.dumps(MAIL_STREAM_FILTER, separators=(",", ":"))}]},
        }}}}},
        # Its queue by reference is infra/event_sources.py's (a merge cannot replace chalice's
        # Fn::Sub with a Fn::GetAtt).
        "SesFeedback": {"Properties": {"Events": {"SesFeedbackSqsEventSource": {"Properties": {
            # One failed message is retried alone: the handler names the ones it failed.
            "FunctionResponseTypes": ["ReportBatchItemFailures"],
        }}}}},
    }


# A year of function logs: they hold no names, addresses, PINs or links (shared/logs.py
# redacts them; the privacy policy says so), and a dispute or an abuse report can come late.
FUNCTION_LOG_RETENTION_DAYS = 365


def function_names_and_logs(stage: str) -> dict:
    """Every function by its own name, `<app>-<stage>-<function>` (operators invoke it so:
    `make ops STAGE=…`), writing to a log group the stack declares, with a retention and the
    messaging key. LoggingConfig names the group by reference, so the group exists before
    the function can run and make one of its own; the policies name the same group."""
    resources: dict[str, dict] = {}
    for function in _functions(stage):
        logical = policies.logical_id(function)
        resources[f"{logical}LogGroup"] = {"Type": "AWS::Logs::LogGroup", "Properties": {
            "LogGroupName": policies.log_group(stage, function),
            "RetentionInDays": FUNCTION_LOG_RETENTION_DAYS,
            "KmsKeyId": {"Fn::GetAtt": ["MessagingKey", "Arn"]},
        }}
        resources[logical] = {"Properties": {
            "FunctionName": policies.function_name(stage, function),
            "LoggingConfig": {"LogFormat": "Text", "LogGroup": {"Ref": f"{logical}LogGroup"}},
        }}
    return resources


def dkim_outputs() -> dict:
    """The three CNAME records SES's Easy DKIM wants in the sender domain's DNS, read from the
    identity the stack made. Deployed stages only: moto's CloudFormation skips the identity,
    so a reference to it in infra/stateful.yaml would break the local stack."""
    return {f"SenderDkimRecord{n}": {
        "Description": f"DKIM record {n} of 3 for the sender domain: publish it as a CNAME",
        "Value": {"Fn::Sub": f"${{SenderIdentity.DkimDNSTokenName{n}}} CNAME ${{SenderIdentity.DkimDNSTokenValue{n}}}"},
    } for n in (1, 2, 3)}


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


def function_alarms(stage: str) -> dict:
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
        [{"Name": "ApiName", "Value": api_name(stage)}, {"Name": "Stage", "Value": API_STAGE}], "Sum", 0)
    return alarms


UNKNOWN_ROUTE = {"error": {"code": "not_found", "message": "There is nothing at this address."}}
TOO_MANY = {"error": {"code": "too_many_requests", "message": "Too many requests; please try again in a few minutes."}}
FILTERED = {"error": {"code": "forbidden", "message": "This request was refused."}}

API_STAGE = "api"  # api_gateway_stage in .chalice/config.json


def api_name(stage: str) -> str:
    """The REST API's name, which API Gateway's metrics carry as ApiName: one per stage, so
    that dev's and prod's 5xx alarms watch their own API in an account that holds both."""
    return f"{policies.APP}-{stage}"


# The stage's default method throttle. API Gateway applies it to each method (route and
# verb) on its own, not to the API as a whole: 50 a second to GET /shop and 50 to POST
# /signup at the same time (then 429). The account's regional limit (10,000 a second by
# default) is the only one for the whole API.
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


def _gateway_response(status: str, body: dict) -> dict:
    return {"statusCode": status, "responseTemplates": {"application/json": json.dumps(body)}}


# API Gateway's own answers, in the contract's error shape. They live in the API's definition
# (x-amazon-apigateway-gateway-responses), so each deployment carries them: as separate
# resources beside a definition, nothing redeploys the stage when they change, and a change
# of the definition drops them (cfn-lint W3660). A gateway response is static: whatever the
# client accepts, an unknown path answers this JSON 404; the HTML error pages are the app's,
# for the paths it routes.
GATEWAY_RESPONSES = {
    # A path no route matches: API Gateway's own 403 "Missing Authentication Token".
    "MISSING_AUTHENTICATION_TOKEN": _gateway_response("404", UNKNOWN_ROUTE),
    "THROTTLED": _gateway_response("429", TOO_MANY),  # the stage's method throttle
    "WAF_FILTERED": _gateway_response("403", FILTERED),  # a request the web ACL blocked without its own answer
}


def api_protection(stage: str) -> dict:
    """One stage, throttled per method, with access logs without personal data and a web ACL
    with per-IP rate limits on the forms abuse would use to make the store send mail; the
    gateway responses inside the definition; a name per stage."""
    rules = [_rate_rule(i, name, *rule) for i, (name, rule) in enumerate(RATE_LIMITED_FORMS.items())]
    rules.append({
        "Name": "known-bad-inputs", "Priority": len(rules), "OverrideAction": {"None": {}},
        "VisibilityConfig": _visibility("known-bad-inputs"),
        "Statement": {"ManagedRuleGroupStatement": {"VendorName": "AWS", "Name": "AWSManagedRulesKnownBadInputsRuleSet"}},
    })
    return {
        "RestAPI": {"Properties": {
            # Any OpenApiVersion stops SAM making a second stage, "Stage", beside ours: one
            # without the web ACL, throttling or access logs, which the API's invoke
            # permission (every stage of the API) would let reach the function.
            "OpenApiVersion": "2.0",
            "Name": api_name(stage),
            "DefinitionBody": {"info": {"title": api_name(stage)},
                               "x-amazon-apigateway-gateway-responses": GATEWAY_RESPONSES},
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
        # API Gateway may invoke the function through this stage alone (chalice grants every
        # stage of the API): a stage made some other way could skip the web ACL and throttle.
        "APIHandlerInvokePermission": {"Properties": {"SourceArn": {"Fn::Sub": [
            "arn:${AWS::Partition}:execute-api:${AWS::Region}:${AWS::AccountId}:${RestAPIId}/" + API_STAGE + "/*",
            {"RestAPIId": {"Ref": "RestAPI"}}]}}},
        "ApiAccessLogs": {"Type": "AWS::Logs::LogGroup", "Properties": {
            "LogGroupName": {"Fn::Sub": "/${AppName}/${Stage}/api-access"},
            "RetentionInDays": ACCESS_LOG_RETENTION_DAYS,
            "KmsKeyId": {"Fn::GetAtt": ["MessagingKey", "Arn"]},
        }},
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
            "ResourceArn": {"Fn::Sub": "arn:${AWS::Partition}:apigateway:${AWS::Region}::/restapis/${RestAPI}/stages/"
                                       + API_STAGE},
        }},
    }


if __name__ == "__main__":
    stage, out = sys.argv[1], Path(sys.argv[2])
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(merge_template(stage), indent=2))
    print(f"wrote {out}")
