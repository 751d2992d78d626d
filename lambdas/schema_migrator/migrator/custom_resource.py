"""The custom resource protocol: the one answer to CloudFormation for an event, PUT to its pre-signed URL,
cut to the 4,096 bytes CloudFormation accepts, under the resource's one physical id."""

from __future__ import annotations

import json
import logging
import threading
import time
import urllib.request

RESPONSE_MAX_BYTES = 4096  # CloudFormation refuses a larger response body
CUT_MARK = " [cut; the whole reason is in the migrator's log]"

LOGGER = logging.getLogger()


class Response:
    """The one answer to CloudFormation for this event (later calls are ignored)."""

    def __init__(self, event: dict) -> None:
        self.event = event
        self._sent = False
        self._lock = threading.Lock()

    def fail(self, reason: str) -> None:
        self.send("FAILED", reason, {})

    def send(self, status: str, reason: str, data: dict) -> None:
        with self._lock:
            if self._sent:
                return
            self._sent = True
        event = self.event
        body = response_body(
            {
                "Status": status,
                "Reason": reason or "See the migrator's log",
                "PhysicalResourceId": physical_id(event),
                "StackId": event["StackId"],
                "RequestId": event["RequestId"],
                "LogicalResourceId": event["LogicalResourceId"],
                "NoEcho": False,
                "Data": data,
            }
        )
        request = urllib.request.Request(
            event["ResponseURL"],
            data=body,
            method="PUT",
            headers={"Content-Type": "", "Content-Length": str(len(body))},
        )
        for attempt in range(3):
            try:
                with urllib.request.urlopen(request, timeout=10):
                    LOGGER.info("answered CloudFormation: %s", status)
                    return
            except OSError as error:
                LOGGER.warning("answering CloudFormation failed (attempt %d): %s", attempt + 1, error)
                time.sleep(2**attempt)


def response_body(answer: dict) -> bytes:
    """The answer as UTF-8 JSON of at most RESPONSE_MAX_BYTES, its Reason cut on a character boundary."""
    body = _encoded(answer)
    if len(body) <= RESPONSE_MAX_BYTES:
        return body
    reason = answer["Reason"]
    kept, too_many = 0, len(reason)  # the longest prefix that fits lies in [kept, too_many)
    while too_many - kept > 1:
        middle = (kept + too_many) // 2
        if len(_encoded({**answer, "Reason": reason[:middle] + CUT_MARK})) <= RESPONSE_MAX_BYTES:
            kept = middle
        else:
            too_many = middle
    return _encoded({**answer, "Reason": reason[:kept] + CUT_MARK})


def _encoded(answer: dict) -> bytes:
    return json.dumps(answer, ensure_ascii=False).encode("utf-8")


def physical_id(event: dict) -> str:
    """The same id for the life of the resource, so an Update never looks like a replacement."""
    return event.get("PhysicalResourceId") or f"schema-migrations-{event['LogicalResourceId']}"
