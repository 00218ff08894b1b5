"""An Alert never carries a secret: keys, tokens, passwords, URLs' credentials and AWS key ids
are redacted from every text it is given, wherever they sit in it."""

from __future__ import annotations

import string

from hypothesis import assume, given
from hypothesis import strategies as st

from predictor.domain.alerts import REDACTED, Alert, AlertState, redact

# What a secret is made of (no separator a URL or a key=value pair would end it at).
SECRET_CHARS = string.ascii_letters + string.digits + "-_.~+=!$*"
secrets = st.text(SECRET_CHARS, min_size=8, max_size=64).filter(
    lambda s: any(c.isdigit() for c in s) and any(c.isalpha() for c in s)
)
prose = st.text(string.ascii_letters + " ,.;()", max_size=40)
TEMPLATES = [
    "password={}",
    "PASSWORD = {}",
    "db_passwd:{}",
    "https://admin:{}@mlflow.internal:5000/api",
    "postgresql://predictor:{}@db.internal/mlflow",
    '{{"api_key": "{}"}}',
    "X-Api-Key: {}",
    "Authorization: Bearer {}",
    "Authorization: Basic {}",
    "aws_secret_access_key={}",
    "token='{}'",
    "session_token: {}",
    "client_secret={}&grant_type=x",
]


@given(secret=secrets, before=prose, after=prose, template=st.sampled_from(TEMPLATES))
def test_a_named_secret_is_redacted_wherever_it_sits(
    secret: str, before: str, after: str, template: str
) -> None:
    assume(secret not in before and secret not in after)
    text = before + " " + template.format(secret) + " " + after
    alert = Alert("model load failed", text, model="demo", context={"reason": text})
    for value in (alert.detail, alert.context["reason"], *alert.facts(AlertState.RESOLVED).values()):
        assert secret not in value
    assert REDACTED in alert.detail
    assert before.strip() in alert.detail


@given(secret=st.text(string.ascii_letters + string.digits, min_size=24, max_size=80), before=prose)
def test_a_long_run_of_key_characters_is_redacted(secret: str, before: str) -> None:
    assume(any(c.isdigit() for c in secret) and any(c.isalpha() for c in secret))
    assume(secret not in before)
    assert secret not in redact(f"{before} the key {secret} was refused")


@given(secret=secrets)
def test_a_context_value_named_like_a_secret_is_redacted(secret: str) -> None:
    alert = Alert("x", context={"api_key": secret, "DB_PASSWORD": secret, "auth_token": secret})
    assert set(alert.context.values()) == {REDACTED}


def test_aws_access_key_ids_are_redacted() -> None:
    assert "AKIAIOSFODNN7EXAMPLE" not in redact("signed with AKIAIOSFODNN7EXAMPLE, refused")


def test_names_and_ids_are_kept_even_when_long() -> None:
    request_id = "9f0c4d2e-8b1a-4c3f-9e7d-6a5b4c3d2e1f"
    alert = Alert("registry unreachable", model="customer_churn_model_2026", request_id=request_id)
    assert (alert.model, alert.request_id) == ("customer_churn_model_2026", request_id)


def test_an_ordinary_message_is_left_as_it_is() -> None:
    text = (
        "the registry cannot be reached; still serving version 3 of models:/demo@production: "
        "HTTPConnectionPool(host='127.0.0.1', port=5000): Max retries exceeded with url: /api/2.0/mlflow"
    )
    assert redact(text) == text


def test_a_long_detail_is_cut_short() -> None:
    assert len(Alert("x", "word " * 1000).detail) == 1000
