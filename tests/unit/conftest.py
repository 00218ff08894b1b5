from __future__ import annotations

import pytest

from predictor.container import Container
from tests.unit.builders import memory_container


@pytest.fixture
def container() -> Container:
    return memory_container()
