"""Records each uploaded image in the uploads table (a stand-in for the composed system's function)."""

import os

import boto3

TABLE = boto3.resource("dynamodb").Table(os.environ["UPLOADS_TABLE"])


def main(event, context):
    for record in event.get("Records", []):
        TABLE.put_item(Item={"key": record["s3"]["object"]["key"], "bucket": record["s3"]["bucket"]["name"]})
    return {"recorded": len(event.get("Records", []))}
