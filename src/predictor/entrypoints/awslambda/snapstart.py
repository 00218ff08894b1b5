"""Lambda SnapStart hooks (docs/aws.md#snapstart).

SnapStart snapshots the function after init and restores many environments from one snapshot.
Each restored environment then shares the snapshot's random state and its open sockets, so
after a restore the random generators are re-seeded from the OS and the AWS clients'
connections closed (their next calls open new ones). Before the snapshot, the metrics counted
at init are published, so no restored copy publishes them again.

``snapshot_restore_py`` exists only in Lambda's Python runtime (3.12+); elsewhere the hooks are
not registered, and tests call them directly.
"""

from __future__ import annotations

import logging
import random

import numpy as np

from predictor.container import Container, reopen_aws_connections

log = logging.getLogger(__name__)


def before_snapshot(container: Container) -> None:
    """Publish what init counted (the model load among it): a restored copy starts at zero."""
    container.publish_metrics().flush()


def after_restore(container: Container) -> None:
    """Re-seed randomness from the OS and reopen the AWS connections, in each restored copy."""
    random.seed()
    np.random.seed()  # the legacy global generator: what a library may still draw from
    closed = reopen_aws_connections()
    served = container.slot().peek()
    log.info(
        "restored from a SnapStart snapshot",
        extra={
            "aws_clients_closed": closed,
            "model_version": served.version.version if served is not None else None,
        },
    )


def register_snapstart_hooks(container: Container) -> bool:
    """Register both hooks with Lambda's runtime; False where ``snapshot_restore_py`` is absent."""
    try:
        from snapshot_restore_py import register_after_restore, register_before_snapshot
    except ImportError:
        return False
    register_before_snapshot(before_snapshot, container)
    register_after_restore(after_restore, container)
    return True
