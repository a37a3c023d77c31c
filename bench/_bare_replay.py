"""The same AWS calls with a bare boto3 client, in a fresh interpreter of their own:
`python -m bench._bare_replay CALLS.pickle SENDER_DOMAIN CONFIGURATION_SET`.

Run by bench._campaign_child after a campaign, with the calls it recorded. A process of its
own, holding nothing but boto3, so the CPU it reports is what the calls alone cost, with no
heap of the store's to collect garbage over. Prints one JSON line: the median CPU seconds of
REPLAY_ROUNDS replays, and how many calls failed a condition (botocore parses the error
either way). SendEmail goes to another region of the emulator, so the campaign's own SES
count stays the campaign's.
"""
import json
import pickle
import statistics
import sys
import time

REPLAY_ROUNDS = 3


def main() -> None:
    import boto3
    from botocore import xform_name
    from botocore.exceptions import ClientError

    from local_stage.emulator import REGION

    with open(sys.argv[1], "rb") as source:
        recorded = pickle.load(source)
    sender_domain, configuration_set = sys.argv[2], sys.argv[3]
    session = boto3.session.Session()
    clients = {"dynamodb": session.client("dynamodb", region_name=REGION),
               "sesv2": session.client("sesv2", region_name="eu-west-1")}
    clients["sesv2"].create_email_identity(EmailIdentity=sender_domain)
    clients["sesv2"].create_configuration_set(ConfigurationSetName=configuration_set)
    calls = [(getattr(clients[service], xform_name(operation)), params) for service, operation, params in recorded]
    rounds, errors = [], 0
    for _ in range(REPLAY_ROUNDS):
        errors = 0
        cpu = time.process_time()
        for call, params in calls:
            try:
                call(**params)
            except ClientError:
                errors += 1
        rounds.append(time.process_time() - cpu)
    print(json.dumps({"cpu_s": statistics.median(rounds), "rounds": rounds, "errors": errors}))


if __name__ == "__main__":
    main()
