"""Start an in-process moto server and provision infra/ into it, as AWS would hold it."""
from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
TEMPLATE = ROOT / "infra" / "stateful.yaml"
CHALICE_CONFIG = ROOT / ".chalice" / "config.json"
APP_NAME = "calling-card-store"
REGION = "us-east-1"
SENDER_DOMAIN = "example.com"

# moto accepts any credentials; these make boto3 independent of ~/.aws and the caller's env.
AWS_ENVIRONMENT = {
    "AWS_DEFAULT_REGION": REGION,
    "AWS_REGION": REGION,
    "AWS_ACCESS_KEY_ID": "testing",
    "AWS_SECRET_ACCESS_KEY": "testing",
    "AWS_SESSION_TOKEN": "testing",
    # botocore 1.44 routes DynamoDB Streams to an account endpoint moto does not answer.
    "AWS_ACCOUNT_ID_ENDPOINT_MODE": "disabled",
    "AWS_CONFIG_FILE": os.devnull,
    "AWS_SHARED_CREDENTIALS_FILE": os.devnull,
    "AWS_EC2_METADATA_DISABLED": "true",
}

# AWS::SES::* and alarms are skipped by moto's CloudFormation with only a warning;
# the emulator creates the SES parts through the SES v2 API instead.
TYPES_MOTO_SKIPS = frozenset(
    {
        "AWS::SES::EmailIdentity",
        "AWS::SES::ConfigurationSet",
        "AWS::SES::ConfigurationSetEventDestination",
        "AWS::SNS::Subscription",
        "AWS::SQS::QueuePolicy",
        "AWS::CloudWatch::Alarm",
    }
)


def stage_environment(stage: str = "local") -> dict[str, str]:
    """The stage's environment variables from .chalice/config.json (one source of truth)."""
    config = json.loads(CHALICE_CONFIG.read_text())
    merged = dict(config.get("environment_variables", {}))
    merged.update(config["stages"][stage].get("environment_variables", {}))
    return merged


# What the person running the local stage may set themselves (the contract names them).
CALLER_SETTINGS = ("PROCESSOR_WEBHOOK_SECRET",)


def apply_stage_environment(stage: str = "local") -> None:
    """Put the stage's variables into this process's environment, keeping the caller's own
    value for the few settings the contract lets them choose."""
    for name, value in stage_environment(stage).items():
        if name in CALLER_SETTINGS and os.environ.get(name):
            continue
        os.environ[name] = value


@dataclass
class Emulator:
    server: object
    endpoint_url: str
    outputs: dict[str, str]

    def stop(self) -> None:
        self.server.stop()


def start(stage: str = "local", port: int = 0) -> Emulator:
    """Start moto on 127.0.0.1, point this process's boto3 at it and provision the stage."""
    import logging

    from moto.server import ThreadedMotoServer

    from local_stage import moto_patches

    moto_patches.apply()
    logging.getLogger("werkzeug").setLevel(logging.WARNING)  # moto's per-request access log
    os.environ.update(AWS_ENVIRONMENT)
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    host, bound_port = server.get_host_and_port()
    endpoint_url = f"http://{host}:{bound_port}"
    os.environ["AWS_ENDPOINT_URL"] = endpoint_url
    outputs = provision(stage)
    return Emulator(server=server, endpoint_url=endpoint_url, outputs=outputs)


def reset(emulator: Emulator, stage: str = "local") -> Emulator:
    """Empty every emulated service and provision the stage again (tests use a fresh table
    per module: moto's transactions and index queries cost time in proportion to it)."""
    import urllib.request

    urllib.request.urlopen(urllib.request.Request(f"{emulator.endpoint_url}/moto-api/reset", method="POST"), timeout=30)
    emulator.outputs = provision(stage)
    return emulator


def provision(stage: str) -> dict[str, str]:
    import boto3

    cloudformation = boto3.client("cloudformation")
    stack_name = f"{APP_NAME}-{stage}"
    cloudformation.create_stack(
        StackName=stack_name,
        TemplateBody=TEMPLATE.read_text(),
        Parameters=[
            {"ParameterKey": "Stage", "ParameterValue": stage},
            {"ParameterKey": "SenderDomain", "ParameterValue": SENDER_DOMAIN},
        ],
    )
    stack = cloudformation.describe_stacks(StackName=stack_name)["Stacks"][0]
    if stack["StackStatus"] != "CREATE_COMPLETE":
        raise RuntimeError(f"stack {stack_name} is {stack['StackStatus']}")
    outputs = {o["OutputKey"]: o["OutputValue"] for o in stack.get("Outputs", [])}

    # What moto's CloudFormation skips (TYPES_MOTO_SKIPS), made through the service APIs.
    sns = boto3.client("sns")
    sqs = boto3.client("sqs")
    queue_url = sqs.get_queue_url(QueueName=outputs["SesFeedbackQueueName"])["QueueUrl"]
    queue_arn = sqs.get_queue_attributes(QueueUrl=queue_url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    sns.subscribe(TopicArn=outputs["SesFeedbackTopicArn"], Protocol="sqs", Endpoint=queue_arn)
    sesv2 = boto3.client("sesv2")
    configuration_set = f"{APP_NAME}-{stage}"
    sesv2.create_configuration_set(ConfigurationSetName=configuration_set)
    sesv2.create_email_identity(EmailIdentity=SENDER_DOMAIN, ConfigurationSetName=configuration_set)
    # moto's CloudFormation makes every KMS key a symmetric encryption key: the PIN MAC key
    # is made again with its HMAC spec, and its alias pointed at it.
    kms = boto3.client("kms")
    mac_key = kms.create_key(KeySpec="HMAC_256", KeyUsage="GENERATE_VERIFY_MAC",
                             Description="Marks imported PINs (local stage)")["KeyMetadata"]["KeyId"]
    kms.update_alias(AliasName=f"alias/{APP_NAME}-{stage}-pin-mac", TargetKeyId=mac_key)
    return outputs
