"""Body readers that stop or stall the decoder process running them, for the decoder's tests.

They live in a module of their own, importable by a decoder process (``PYTHONPATH`` at the
repository), that imports nothing but the standard library and the domain.
"""

from __future__ import annotations

import os
import time
from pathlib import Path

from predictor.domain.encoding.inputs import ModelInput, Records
from predictor.domain.schema import FeatureSchema


def stop(body: bytes, schema: FeatureSchema | None) -> tuple[None, ModelInput]:
    os._exit(3)


def stop_once(marker: Path, body: bytes, schema: FeatureSchema | None) -> tuple[str, ModelInput]:
    """Stops the first process that reads a body (it leaves ``marker``); the next one reads it."""
    if not marker.exists():
        marker.touch()
        os._exit(3)
    return "read again", Records([{"x1": 1.0, "x2": 2.0, "colour": "red"}])


def stall(body: bytes, schema: FeatureSchema | None) -> tuple[None, ModelInput]:
    time.sleep(3600)
    raise AssertionError("not reached")
