"""The scheduler engine's entry point (seed 004 §1.5: the skeleton the plan asks for).

S3 invokes it for each object created under orders/ or instructors/ in the input bucket. It
checks each notification record's shape (pydantic, from requirements.txt) and records the upload
in the data table; building schedules comes in a later phase.
"""

import json
import os
import urllib.parse

import boto3
from pydantic import BaseModel, TypeAdapter

TABLE = boto3.resource("dynamodb").Table(os.environ["DATA_TABLE"])


class S3Bucket(BaseModel):
    name: str


class S3Object(BaseModel):
    key: str


class S3Entity(BaseModel):
    bucket: S3Bucket
    object: S3Object


class Record(BaseModel):
    s3: S3Entity


RECORDS = TypeAdapter(list[Record])


def main(event, context):
    records = RECORDS.validate_python(event.get("Records", []))
    uploads = [(record.s3.bucket.name, urllib.parse.unquote_plus(record.s3.object.key)) for record in records]
    for bucket, key in uploads:
        kind = key.split("/", 1)[0]
        TABLE.put_item(Item={"PK": f"UPLOAD#{kind}", "SK": key, "bucket": bucket})
    print(json.dumps({"recorded": len(uploads)}))
    return {"recorded": len(uploads)}
