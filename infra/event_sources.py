"""The SES feedback function's queue by reference: `python -m infra.event_sources STAGE SAM_JSON`
rewrites the template chalice wrote (`make package`, after chalice).

Chalice names an SQS event source's queue by an ARN it builds from the queue's name
(`Fn::Sub arn:…:sqs:…:<name>`), and a merge template cannot replace that mapping with another
(chalice merges mappings key by key). A built name orders nothing: CloudFormation may create
the event source mapping before the queue, and the first deploy then fails now and then.
`Fn::GetAtt SesFeedbackQueue.Arn` names the same queue and makes CloudFormation create it
first. The step checks that chalice's ARN is the one of the stack's queue before replacing it.
"""
from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from infra import policies

FUNCTION, EVENT, QUEUE = "SesFeedback", "SesFeedbackSqsEventSource", "SesFeedbackQueue"
BUILT_ARN = "arn:${AWS::Partition}:sqs:${AWS::Region}:${AWS::AccountId}:%s"
BY_REFERENCE = {"Fn::GetAtt": [QUEUE, "Arn"]}


def apply(template: dict, stage: str) -> dict:
    resources = template["Resources"]
    event = resources[FUNCTION]["Properties"]["Events"][EVENT]["Properties"]
    if event["Queue"] == BY_REFERENCE:
        return template
    name = policies.stage_environment(stage)["SES_FEEDBACK_QUEUE"]
    if event["Queue"] != {"Fn::Sub": BUILT_ARN % name}:
        raise ValueError(f"{FUNCTION}'s queue is {event['Queue']}, not the ARN chalice builds for {name}")
    if resources[QUEUE]["Properties"]["QueueName"] != {"Fn::Sub": "${AppName}-${Stage}-ses-feedback"} or \
            name != f"{policies.APP}-{stage}-ses-feedback":
        raise ValueError(f"SES_FEEDBACK_QUEUE ({name}) is not the stack's {QUEUE}")
    event["Queue"] = dict(BY_REFERENCE)
    return template


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("stage")
    parser.add_argument("sam", type=Path, help="the template chalice package wrote, rewritten in place")
    args = parser.parse_args()
    try:
        template = apply(json.loads(args.sam.read_text()), args.stage)
    except (KeyError, ValueError) as refused:
        sys.exit(f"FATAL: {refused}")
    args.sam.write_text(json.dumps(template, indent=2) + "\n")
    print(f"{args.sam}: {FUNCTION} reads {QUEUE} by reference")


if __name__ == "__main__":
    main()
