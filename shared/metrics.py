"""Operational counters, as CloudWatch embedded metrics in the function's output (the
alarms in infra/ watch them). Names only; never a value that identifies a person."""
from __future__ import annotations

import os

NAMESPACE = "CallingCardStore"


def count(name: str) -> None:
    from aws_lambda_powertools.metrics import MetricUnit, single_metric

    stage = os.environ.get("STAGE", "unknown")
    with single_metric(name=name, unit=MetricUnit.Count, value=1, namespace=NAMESPACE,
                       default_dimensions={"stage": stage}):
        pass


def gauge(name: str, value: float, unit: str = "Seconds") -> None:
    from aws_lambda_powertools.metrics import MetricUnit, single_metric

    stage = os.environ.get("STAGE", "unknown")
    with single_metric(name=name, unit=MetricUnit[unit], value=value, namespace=NAMESPACE,
                       default_dimensions={"stage": stage}):
        pass
