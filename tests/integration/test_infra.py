"""infra/ provisions the emulator; what moto's CloudFormation skips is pinned here so a new
gap is noticed (and the emulator creates it through the service API instead)."""
from __future__ import annotations

import boto3
import yaml

from local_stage import emulator


def template_types() -> dict[str, str]:
    class Loader(yaml.SafeLoader):
        pass

    Loader.add_multi_constructor("!", lambda loader, suffix, node: None)
    template = yaml.load(emulator.TEMPLATE.read_text(), Loader=Loader)
    return {name: resource["Type"] for name, resource in template["Resources"].items()}


def test_moto_provisions_every_resource_but_the_pinned_skipped_types(aws):
    resources = boto3.client("cloudformation").list_stack_resources(StackName="calling-card-store-local")
    provisioned = {r["LogicalResourceId"] for r in resources["StackResourceSummaries"] if r["LogicalResourceId"]}
    skipped = {name: kind for name, kind in template_types().items() if name not in provisioned}
    assert set(skipped.values()) == emulator.TYPES_MOTO_SKIPS


def test_the_table_has_its_index_stream_recovery_and_encryption(aws):
    dynamodb = boto3.client("dynamodb")
    table = dynamodb.describe_table(TableName="calling-card-store-local")["Table"]
    indexes = {i["IndexName"]: i["Projection"]["ProjectionType"] for i in table["GlobalSecondaryIndexes"]}
    assert indexes == {"gsi1": "ALL", "mail": "KEYS_ONLY"}
    assert table["StreamSpecification"] == {"StreamEnabled": True, "StreamViewType": "NEW_IMAGE"}
    # moto's CloudFormation ignores the TTL, point-in-time recovery and KMS settings: check the template.
    template = emulator.TEMPLATE.read_text()
    assert "PointInTimeRecoveryEnabled: true" in template
    assert "SSEType: KMS" in template and "AttributeName: expires_at" in template


def test_the_emulator_made_the_ses_identity_and_configuration_set(aws):
    sesv2 = boto3.client("sesv2")
    assert sesv2.get_email_identity(EmailIdentity=emulator.SENDER_DOMAIN)["ConfigurationSetName"] == "calling-card-store-local"
    assert sesv2.get_configuration_set(ConfigurationSetName="calling-card-store-local")


def test_feedback_queue_has_a_dead_letter_queue(aws):
    sqs = boto3.client("sqs")
    url = sqs.get_queue_url(QueueName=aws.outputs["SesFeedbackQueueName"])["QueueUrl"]
    redrive = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["RedrivePolicy"])["Attributes"]["RedrivePolicy"]
    assert "ses-feedback-dlq" in redrive


def test_copies_of_deleted_data_last_as_long_as_the_policy_says(aws):
    """The bug: point-in-time recovery kept 35 days of purged data (AWS's default) and the
    feedback dead-letter queue 14 days of raw notifications, neither stated anywhere."""
    from shared.policy import current_version

    class Loader(yaml.SafeLoader):
        pass

    Loader.add_multi_constructor("!", lambda loader, suffix, node: None)
    resources = yaml.load(emulator.TEMPLATE.read_text(), Loader=Loader)["Resources"]
    recovery = resources["Table"]["Properties"]["PointInTimeRecoverySpecification"]
    assert recovery == {"PointInTimeRecoveryEnabled": True, "RecoveryPeriodInDays": 7}  # moto ignores it
    sqs = boto3.client("sqs")
    url = sqs.get_queue_url(QueueName=aws.outputs["SesFeedbackQueueName"] + "-dlq")["QueueUrl"]
    kept = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["MessageRetentionPeriod"])["Attributes"]
    assert int(kept["MessageRetentionPeriod"]) == 4 * 24 * 3600
    text = current_version().text()
    assert "7 days" in text and "24 hours" in text and "4 days" in text
