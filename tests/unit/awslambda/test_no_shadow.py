"""A shadow challenger is not run on AWS Lambda: a frozen function runs no worker, and scoring
it before the invocation returns would add its time to the client's."""

from __future__ import annotations

import logging

import pytest

from predictor.entrypoints.awslambda.service import LambdaService
from tests.unit.http.conftest import trained_container


def test_a_configured_shadow_is_ignored_with_a_warning(caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.WARNING, logger="predictor.entrypoints.awslambda.service"):
        service = LambdaService(trained_container(shadow_model="demo@challenger"))

    assert service.container.shadows() == {}
    assert "PREDICTOR_SHADOW_MODEL and the shadows" in caplog.text


def test_a_listed_models_own_shadow_is_not_built(caplog: pytest.LogCaptureFixture) -> None:
    container = trained_container(
        models="demo=demo@production;shadow=demo@challenger,other=demo@production;shadow=nowhere@gone"
    )
    with caplog.at_level(logging.WARNING, logger="predictor.entrypoints.awslambda.service"):
        service = LambdaService(container)

    assert service.container.shadows() == {}
    assert "shadows of PREDICTOR_MODELS entries are ignored on AWS Lambda" in caplog.text
