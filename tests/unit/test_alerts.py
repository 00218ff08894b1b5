"""LogAlerter: one error record per alert and one warning per resolution, with the alert's
facts as fields, that never raises."""

from __future__ import annotations

import logging

import pytest

from predictor.adapters.logs.alerts import ALERT_LOGGER, LogAlerter
from predictor.domain.alerts import Alert

ALERT = Alert("registry unreachable", "still serving version 3", model="demo", version="3")


def test_an_alert_is_an_error_record_with_its_fields(caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.INFO, logger=ALERT_LOGGER):
        LogAlerter().alert(ALERT)
    (record,) = caplog.records
    assert (record.name, record.levelno, record.getMessage()) == (
        ALERT_LOGGER,
        logging.ERROR,
        "alert: registry unreachable",
    )
    assert (record.alert, record.detail, record.model, record.version, record.state) == (  # type: ignore[attr-defined]
        "registry unreachable",
        "still serving version 3",
        "demo",
        "3",
        "firing",
    )


def test_a_resolution_is_a_warning_record(caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.INFO, logger=ALERT_LOGGER):
        LogAlerter().resolve(ALERT)
    (record,) = caplog.records
    assert (record.levelno, record.getMessage()) == (logging.WARNING, "resolved: registry unreachable")
    assert (record.state, record.model) == ("resolved", "demo")  # type: ignore[attr-defined]


def test_fields_named_like_log_record_attributes_do_not_break_an_alert(
    caplog: pytest.LogCaptureFixture,
) -> None:
    with caplog.at_level(logging.INFO, logger=ALERT_LOGGER):
        LogAlerter().alert(
            Alert("model version refused", "bad", context={"name": "demo", "msg": "x", "args": "y"})
        )
    (record,) = caplog.records
    assert record.field_name == "demo"  # type: ignore[attr-defined]
    assert (record.field_msg, record.field_args) == ("x", "y")  # type: ignore[attr-defined]
    assert record.getMessage() == "alert: model version refused"
