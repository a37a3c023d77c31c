"""The baseline for the cold start: a bare Chalice app with one route and one DynamoDB put_item.

It writes to the stage's table with the same fake credentials and endpoint as the store,
so the difference between the two cold starts is the store's own code and libraries.
"""
import os

import boto3
from chalice import Chalice

app = Chalice(app_name="bench-bare")
dynamodb = boto3.client("dynamodb")


@app.route("/put", methods=["POST"])
def put():
    body = app.current_request.json_body
    dynamodb.put_item(
        TableName=os.environ["TABLE_NAME"],
        Item={"pk": {"S": f"BENCH#{body['id']}"}, "sk": {"S": "BARE"}, "type": {"S": "bench"}},
    )
    return {"status": "ok"}
