"""The repository contract suite runs every test twice: on the in-memory table of the unit
tests and on the emulated DynamoDB table (moto, provisioned from infra/ like the
integration tests). What the memory table decides must be what DynamoDB decides.

On DynamoDB one table serves a whole module, so every test makes its own random ids.
"""
from __future__ import annotations

from typing import Callable

import pytest
from botocore.exceptions import BotoCoreError, ClientError

from shared.ids import new_id
from shared.store.accounts import AccountRepository
from shared.store.table import DynamoTable, Table
from tests.fakes import MemoryTable

# A request DynamoDB refuses outright: ValidationException (a ClientError) or boto3's own
# parameter check through DynamoTable, ValueError through DynamoTable's own checks and MemoryTable.
REFUSED = (ValueError, ClientError, BotoCoreError)


@pytest.fixture(params=["memory", "dynamodb"])
def table(request: pytest.FixtureRequest) -> Table:
    if request.param == "memory":
        return MemoryTable()
    request.getfixturevalue("aws")
    from shared.settings import get_settings

    return DynamoTable(get_settings().table_name)


@pytest.fixture
def uid() -> Callable[[], str]:
    """Fresh random ids (letters, digits, - and _): nothing collides on the shared table."""
    return new_id


@pytest.fixture
def accounts(table: Table) -> AccountRepository:
    return AccountRepository(table)
