"""LogAlerter: one error record per alert, with its fields, that never raises."""

from __future__ import annotations

import logging

import pytest

from predictor.adapters.logs.alerts import ALERT_LOGGER, LogAlerter


def test_an_alert_is_an_error_record_with_its_fields(caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.INFO, logger=ALERT_LOGGER):
        LogAlerter().alert("registry unreachable", "still serving version 3", model="demo", version="3")
    (record,) = caplog.records
    assert (record.name, record.levelno, record.getMessage()) == (
        ALERT_LOGGER,
        logging.ERROR,
        "alert: registry unreachable",
    )
    assert (record.alert, record.detail, record.model, record.version) == (  # type: ignore[attr-defined]
        "registry unreachable",
        "still serving version 3",
        "demo",
        "3",
    )


def test_fields_named_like_log_record_attributes_do_not_break_an_alert(
    caplog: pytest.LogCaptureFixture,
) -> None:
    with caplog.at_level(logging.INFO, logger=ALERT_LOGGER):
        LogAlerter().alert("model version refused", "bad", name="demo", msg="x", args="y")
    (record,) = caplog.records
    assert record.field_name == "demo"  # type: ignore[attr-defined]
    assert (record.field_msg, record.field_args) == ("x", "y")  # type: ignore[attr-defined]
    assert record.getMessage() == "alert: model version refused"
