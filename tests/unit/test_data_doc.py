"""docs/data.md, the table of every item type and every copy (P28 and the retention the
policy states): its item rows are shared/data_kinds.py's classification, and its copies'
retention is what infra/ deploys, read at test time so neither can drift."""
from __future__ import annotations

import re
from pathlib import Path

import yaml

from infra.merge_template import ACCESS_LOG_RETENTION_DAYS, FUNCTION_LOG_RETENTION_DAYS
from shared import data_kinds

ROOT = Path(__file__).resolve().parents[2]
DOC = (ROOT / "docs" / "data.md").read_text()
DAY = 24 * 3600
SQS_DEFAULT_RETENTION = 4 * DAY  # what a queue keeps a message when its template says nothing
PITR_DEFAULT_DAYS = 35  # what point-in-time recovery keeps when no recovery period is given


def _resources() -> dict:
    class Loader(yaml.SafeLoader):
        pass

    Loader.add_multi_constructor("!", lambda loader, suffix, node: None)
    return yaml.load((ROOT / "infra" / "stateful.yaml").read_text(), Loader=Loader)["Resources"]


def _days(count: int) -> str:
    return f"{count} days" if count != 1 else "1 day"


def _queue_days(resources: dict, name: str) -> str:
    return _days(resources[name]["Properties"].get("MessageRetentionPeriod", SQS_DEFAULT_RETENTION) // DAY)


def _doc_table(heading: str) -> list[list[str]]:
    section = DOC.split(f"## {heading}\n", 1)[1].split("\n## ", 1)[0]
    rows = [line for line in section.splitlines() if line.startswith("| ") and not line.startswith("| ---")]
    return [[cell.strip() for cell in re.split(r"(?<!\\)\|", row)[1:-1]] for row in rows[1:]]


def test_p28_the_docs_item_table_is_the_code_classification():
    """The rows between the markers are `python -m shared.data_kinds`, row for row."""
    block = DOC.split("<!-- kinds:begin -->\n", 1)[1].split("\n<!-- kinds:end -->", 1)[0]
    assert block == data_kinds.markdown_table(), "regenerate: .venv/bin/python -m shared.data_kinds"
    assert [row[0].strip("`") for row in _doc_table("Item types")] == [k.name for k in data_kinds.KINDS]


def test_the_docs_copies_and_logs_say_how_long_infra_keeps_them():
    resources = _resources()
    table = resources["Table"]["Properties"]
    recovery = table["PointInTimeRecoverySpecification"]
    assert recovery["PointInTimeRecoveryEnabled"] is True
    expected = {
        "Point-in-time recovery": _days(recovery.get("RecoveryPeriodInDays", PITR_DEFAULT_DAYS)),
        "The table's stream": "24 hours",  # DynamoDB streams keep records 24 hours, not configurable
        "Function log groups": _days(FUNCTION_LOG_RETENTION_DAYS),
        "API access log group": _days(ACCESS_LOG_RETENTION_DAYS),
        "SES feedback dead-letter queue": _queue_days(resources, "SesFeedbackDeadLetterQueue"),
        "Mail dead-letter queue": _queue_days(resources, "MailDeadLetterQueue"),
        "Function failure queue": _queue_days(resources, "FunctionFailureQueue"),
    }
    assert table["StreamSpecification"]["StreamViewType"]
    assert {row[0]: row[2] for row in _doc_table("Copies and logs")} == expected


def test_the_data_table_is_linked_from_the_readme():
    assert "(docs/data.md)" in (ROOT / "README.md").read_text()
