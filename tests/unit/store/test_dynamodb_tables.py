"""Table creation, packaging, and how DynamoDB failures surface (moto, botocore's Stubber)."""

from __future__ import annotations

from typing import Any

import boto3
import pytest
from botocore.stub import Stubber

from chalicelib.errors import StoreError, StoreUnavailable
from chalicelib.store import cloudformation_resources, dynamodb_table_definitions, ensure_tables, open_store
from chalicelib.store.dynamodb.tables import table_name


def test_ensure_tables_creates_once_and_enables_ttl(dynamodb_client: Any) -> None:
    created = ensure_tables(dynamodb_client, "prod")

    assert created == ["prod-store"]
    assert ensure_tables(dynamodb_client, "prod") == []
    table = dynamodb_client.describe_table(TableName="prod-store")["Table"]
    assert table["BillingModeSummary"]["BillingMode"] == "PAY_PER_REQUEST"
    assert {i["IndexName"] for i in table["GlobalSecondaryIndexes"]} == {"gsi1", "gsi2", "gsi3"}
    ttl = dynamodb_client.describe_time_to_live(TableName="prod-store")["TimeToLiveDescription"]
    assert ttl["TimeToLiveStatus"] == "ENABLED"
    assert ttl["AttributeName"] == "expires_at"


def test_ensure_tables_enables_ttl_on_a_table_created_elsewhere(dynamodb_client: Any) -> None:
    (definition,) = dynamodb_table_definitions("ops")
    dynamodb_client.create_table(**definition["create_table"])

    assert ensure_tables(dynamodb_client, "ops") == []
    ttl = dynamodb_client.describe_time_to_live(TableName="ops-store")["TimeToLiveDescription"]
    assert ttl["TimeToLiveStatus"] == "ENABLED"


def test_cloudformation_matches_the_table_definition() -> None:
    resources = cloudformation_resources("aof-prod")
    (definition,) = dynamodb_table_definitions("aof-prod")

    assert list(resources) == ["AofProdStoreTable"]
    resource = resources["AofProdStoreTable"]
    props = resource["Properties"]
    assert resource["Type"] == "AWS::DynamoDB::Table"
    assert props["TableName"] == table_name("aof-prod") == "aof-prod-store"
    assert props["BillingMode"] == "PAY_PER_REQUEST"
    assert props["KeySchema"] == definition["create_table"]["KeySchema"]
    assert props["GlobalSecondaryIndexes"] == definition["create_table"]["GlobalSecondaryIndexes"]
    assert props["TimeToLiveSpecification"] == {"AttributeName": "expires_at", "Enabled": True}


def test_missing_table_is_a_clear_store_error(dynamodb_client: Any) -> None:
    store = open_store("dynamodb://absent?region=us-east-1", dynamodb_client=dynamodb_client)

    with pytest.raises(StoreError, match="ensure_tables"):
        store.runs.get_run("run-1")


@pytest.mark.parametrize(
    "code", ["ThrottlingException", "ProvisionedThroughputExceededException", "InternalServerError"]
)
def test_throttling_is_retryable_store_unavailable(code: str) -> None:
    client = boto3.client("dynamodb", region_name="us-east-1", aws_access_key_id="x", aws_secret_access_key="x")
    store = open_store("dynamodb://prod", dynamodb_client=client)
    with Stubber(client) as stub:
        stub.add_client_error("get_item", service_error_code=code, http_status_code=400)
        with pytest.raises(StoreUnavailable) as raised:
            store.deliveries.get_delivery("evt-1")

    assert raised.value.retryable
    assert code in raised.value.message
