"""What a stage needs from its AWS account before and after its first deploy:
`make preflight STAGE=prod` (`python -m infra.preflight STAGE`).

Every check only reads. Each prints one line, OK or FAIL, and a FAIL says how to fix it:

- Lambda concurrency: after this stack's reserved concurrency, at least 100 executions
  stay unreserved (Lambda refuses any reservation below that; a new account may have 10);
- SES: production access and sending enabled on the account, and the sender's domain a
  verified identity with DKIM;
- API Gateway: the account's CloudWatch role, which the stage's access logs need;
- SSM: every secret under the stage's path, as a SecureString;
- the sender: the stage's SENDER_ADDRESS is not an example domain, and the policies (and
  the stack, once deployed) name the same one.

Before the first deploy the SES identity does not exist yet (the stack creates it) and the
account may still be in the SES sandbox: those lines FAIL until the DKIM records are
published and production access is granted (docs/operations.md, Deploy step by step).

`--sender-only` runs the last group alone, offline: `make deploy` refuses to go on when it
fails, and `make package` runs it with `--warn` (it then only warns: the tests package
the committed example). The IAM actions it needs: lambda:GetAccountSettings,
lambda:GetFunctionConcurrency, ses:GetAccount, ses:GetEmailIdentity, apigateway:GET on
/account, ssm:DescribeParameters, cloudformation:DescribeStacks.
"""
from __future__ import annotations

import argparse
import json
import sys
from dataclasses import dataclass
from pathlib import Path

from infra import policies

# Lambda keeps this many of the account's concurrent executions unreserved, always.
LAMBDA_UNRESERVED_MINIMUM = 100
# Domains reserved for examples and tests (RFC 2606, RFC 6761): no mail from them arrives.
EXAMPLE_DOMAINS = ("example.com", "example.net", "example.org")
EXAMPLE_TLDS = ("example", "test", "invalid", "localhost")
# The secrets under SSM_PARAMETER_PATH (shared.settings reads them); the processor's API key
# only where the stage uses the card processor.
SECRETS = ("token-signing-keys", "email-hash-key", "processor-webhook-secret")
PROCESSOR_SECRET = "processor-api-key"


@dataclass(frozen=True)
class Check:
    name: str
    ok: bool
    detail: str
    fix: str = ""

    def lines(self, failed_word: str = "FAIL") -> list[str]:
        lines = [f"{'OK  ' if self.ok else failed_word} {self.name}: {self.detail}"]
        if not self.ok and self.fix:
            lines.append(f"     fix: {self.fix}")
        return lines


def _config(stage: str) -> dict:
    return json.loads(policies.CHALICE_CONFIG.read_text())["stages"][stage]


def reserved_concurrency(stage: str) -> dict[str, int]:
    """Each function's reservation by its deployed name, as the stage's config asks."""
    return {policies.function_name(stage, name): int(settings.get("reserved_concurrency", 0))
            for name, settings in _config(stage).get("lambda_functions", {}).items()}


def is_example_domain(domain: str) -> bool:
    domain = domain.lower().rstrip(".")
    return any(domain == d or domain.endswith("." + d) for d in EXAMPLE_DOMAINS) or \
        domain.rsplit(".", 1)[-1] in EXAMPLE_TLDS


# -- the sender, offline: the config, the policy files, a packaged template


def sender_checks(stage: str, template: Path | None = None) -> list[Check]:
    fix_config = (f"set SENDER_ADDRESS in the {stage} stage's environment_variables in .chalice/config.json to the "
                  "address the store sends from (\"Name <store@your-domain>\"), then run `python -m infra.policies`")
    try:
        sender = policies.sender(stage)
    except ValueError as error:
        return [Check("sender address", False, str(error), fix_config)]
    checks = [Check("sender address", not is_example_domain(sender.domain),
                    f"{sender.header} (SES identity {sender.domain})"
                    + (": an example domain, whose mail nobody receives" if is_example_domain(sender.domain) else ""),
                    fix_config)]
    stale = []
    for function, needs in policies.FUNCTIONS.items():
        if not needs.sends_mail:
            continue
        written = policies.policy_file(stage, function)
        if not written.exists() or written.read_text() != policies.render(stage, function):
            stale.append(function)
    checks.append(Check("sender in the policies", not stale,
                        f"ses:SendEmail only from {sender.address}, identity {sender.domain}" if not stale else
                        f"the policy files of {', '.join(stale)} name another sender than the config's",
                        "run `python -m infra.policies` and commit .chalice/policies/"))
    if template is not None and template.exists():
        default = json.loads(template.read_text()).get("Parameters", {}).get("SenderDomain", {}).get("Default")
        checks.append(Check("sender in the packaged template", default == sender.domain,
                            f"{template}: SenderDomain {default}",
                            f"run `make package STAGE={stage}` again"))
    return checks


# -- the account, read-only


def lambda_check(stage: str, lambda_client) -> Check:
    wanted = reserved_concurrency(stage)
    limits = lambda_client.get_account_settings()["AccountLimit"]
    unreserved, total = limits["UnreservedConcurrentExecutions"], limits["ConcurrentExecutions"]
    held = 0  # what this stack's functions already reserve (an update), counted in `unreserved` already
    for name in wanted:
        try:
            held += lambda_client.get_function_concurrency(FunctionName=name).get("ReservedConcurrentExecutions", 0)
        except lambda_client.exceptions.ResourceNotFoundException:
            pass
    left = unreserved - (sum(wanted.values()) - held)
    return Check("lambda concurrency", left >= LAMBDA_UNRESERVED_MINIMUM,
                 f"account limit {total}, unreserved {unreserved}; this stack reserves {sum(wanted.values())} "
                 f"({held} of it already), leaving {left} unreserved (Lambda needs {LAMBDA_UNRESERVED_MINIMUM})",
                 "ask for a higher Lambda 'Concurrent executions' quota (Service Quotas console, or `aws "
                 "service-quotas request-service-quota-increase --service-code lambda --quota-code L-B99A9384 "
                 f"--desired-value 1000`), or lower reserved_concurrency in the {stage} stage of .chalice/config.json")


def ses_account_check(sesv2) -> Check:
    account = sesv2.get_account()
    production, sending = account.get("ProductionAccessEnabled", False), account.get("SendingEnabled", False)
    status = account.get("EnforcementStatus", "?")
    if not production:
        fix = ("request production access: `aws sesv2 put-account-details --production-access-enabled "
               "--mail-type TRANSACTIONAL --website-url <BASE_URL> --use-case-description '…'` (or the SES console); "
               "until it is granted SES sends only to verified addresses, 200 a day")
    else:
        fix = ("sending is paused: `aws sesv2 put-account-sending-attributes --sending-enabled` if you paused it; "
               f"if SES did (enforcement status {status}), answer its case in the SES console")
    return Check("ses account", production and sending,
                 f"production access {'yes' if production else 'no (sandbox)'}, sending "
                 f"{'enabled' if sending else 'disabled'}, enforcement {status}", fix)


def ses_identity_check(stage: str, sesv2) -> Check:
    domain = policies.sender(stage).domain
    records = (f"`aws cloudformation describe-stacks --stack-name {policies.APP}-{stage} --query "
               "\"Stacks[0].Outputs[?starts_with(OutputKey,'SenderDkimRecord')].OutputValue\"`")
    try:
        identity = sesv2.get_email_identity(EmailIdentity=domain)
    except sesv2.exceptions.NotFoundException:
        return Check("ses sender identity", False, f"{domain} is no SES identity yet",
                     f"the stack creates it (make deploy STAGE={stage}); then publish its three DKIM CNAMEs: {records}")
    verified = identity.get("VerifiedForSendingStatus", False)
    dkim = identity.get("DkimAttributes", {}).get("Status", "NOT_STARTED")
    return Check("ses sender identity", verified and dkim == "SUCCESS",
                 f"{domain}: verified for sending {'yes' if verified else 'no'}, DKIM {dkim}",
                 f"publish the three DKIM CNAMEs in {domain}'s DNS: {records}; SES looks for them for 72 hours")


def api_gateway_check(apigateway) -> Check:
    role = apigateway.get_account().get("cloudwatchRoleArn")
    return Check("api gateway logging role", bool(role), role or "the account has no CloudWatch role for API Gateway",
                 "create a role trusting apigateway.amazonaws.com with the managed policy "
                 "AmazonAPIGatewayPushToCloudWatchLogs, then `aws apigateway update-account --patch-operations "
                 "op=replace,path=/cloudwatchRoleArn,value=<role ARN>` (once per account and region)")


def secrets_check(stage: str, ssm) -> Check:
    environment = policies.stage_environment(stage)
    path = environment.get("SSM_PARAMETER_PATH", f"/{policies.APP}/{stage}/")
    wanted = SECRETS + ((PROCESSOR_SECRET,) if environment.get("PROCESSOR", "stripe") == "stripe" else ())
    found: dict[str, str] = {}
    pages = ssm.get_paginator("describe_parameters").paginate(
        ParameterFilters=[{"Key": "Path", "Option": "OneLevel", "Values": [path.rstrip("/")]}])
    for page in pages:
        for parameter in page["Parameters"]:
            found[parameter["Name"].rsplit("/", 1)[-1]] = parameter["Type"]
    missing = [name for name in wanted if name not in found]
    plain = [name for name in wanted if name in found and found[name] != "SecureString"]
    problems = ([f"missing {', '.join(missing)}"] if missing else []) + \
        ([f"not SecureString: {', '.join(plain)}"] if plain else [])
    return Check("ssm secrets", not problems, f"{path}: " + ("; ".join(problems) or ", ".join(wanted)),
                 f"`aws ssm put-parameter --type SecureString --name {path}<name> --value …` for each "
                 "(--overwrite for one that is not a SecureString); docs/operations.md lists how to make each value")


def stack_sender_check(stage: str, cloudformation) -> Check | None:
    """Once the stack exists: the SES identity it was deployed with is the config's."""
    stack = f"{policies.APP}-{stage}"
    try:
        found = cloudformation.describe_stacks(StackName=stack)["Stacks"][0]
    except cloudformation.exceptions.ClientError as error:
        if "does not exist" in str(error):
            return None
        raise
    deployed = {p["ParameterKey"]: p.get("ParameterValue") for p in found.get("Parameters", [])}.get("SenderDomain")
    domain = policies.sender(stage).domain
    return Check("sender in the deployed stack", deployed == domain, f"{stack}: SenderDomain {deployed}",
                 f"deploy again with `make deploy STAGE={stage}`, which passes SenderDomain={domain}")


def account_checks(stage: str, session) -> list[Check]:
    checks = [
        lambda_check(stage, session.client("lambda")),
        ses_account_check(session.client("sesv2")),
        ses_identity_check(stage, session.client("sesv2")),
        api_gateway_check(session.client("apigateway")),
        secrets_check(stage, session.client("ssm")),
    ]
    deployed = stack_sender_check(stage, session.client("cloudformation"))
    return checks + ([deployed] if deployed else [])


def run(stage: str, session=None, sender_only: bool = False, template: Path | None = None) -> list[Check]:
    checks = sender_checks(stage, template)
    if not sender_only:
        if session is None:
            import boto3

            session = boto3.Session()
        checks = account_checks(stage, session) + checks
    return checks


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("stage", choices=policies.DEPLOYED_STAGES)
    parser.add_argument("--sender-only", action="store_true", help="only the offline checks of the sender")
    parser.add_argument("--warn", action="store_true", help="print failures as warnings and succeed (make package)")
    parser.add_argument("--template", type=Path, help="a packaged sam.json whose SenderDomain to check too")
    parser.add_argument("--sender-domain", action="store_true", help="print the SES identity (make deploy) and stop")
    args = parser.parse_args(argv)
    if args.sender_domain:
        print(policies.sender(args.stage).domain)
        return 0
    checks = run(args.stage, sender_only=args.sender_only, template=args.template)
    failed = [check for check in checks if not check.ok]
    if args.warn:
        for check in failed:
            print("\n".join(check.lines("WARNING (make preflight refuses this)")), file=sys.stderr)
        return 0
    for check in checks:
        print("\n".join(check.lines()))
    print(f"{len(checks) - len(failed)} OK, {len(failed)} FAIL")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
