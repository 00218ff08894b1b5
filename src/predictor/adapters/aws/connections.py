"""The AWS clients' connections, closed after a Lambda SnapStart restore.

A restored snapshot holds the sockets its clients had open when it was taken; they are dead
(or, worse, shared by every environment restored from the same snapshot). Closing a botocore
client's connection pool is safe: its next call opens a new connection.
"""

from __future__ import annotations

import gc
import logging
import sys

log = logging.getLogger(__name__)


def close_aws_connections() -> int:
    """Close the HTTP connections of every botocore client in this process; how many clients.

    The clients live inside the adapters that made them (Secrets Manager, CloudWatch, S3), made
    lazily and held privately, so they are found among the live objects: this runs once per
    restore, never on the request path. Nothing is imported when no client was ever made.
    """
    client_module = sys.modules.get("botocore.client")
    if client_module is None:
        return 0
    base = client_module.BaseClient
    closed = 0
    for thing in gc.get_objects():
        if isinstance(thing, base):
            thing.close()
            closed += 1
    log.info("AWS connections closed", extra={"clients": closed})
    return closed
