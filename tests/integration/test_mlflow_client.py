"""MLflow's own scoring client, unchanged, against ``predictor serve``: the key goes in the URL
(``http://any:KEY@host``, which ``requests`` sends as HTTP Basic credentials), as the client
cannot send a header. Its answers are the ones ``/invocations`` gives a client with ``X-API-Key``."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import pandas as pd
import pytest
from mlflow.pyfunc.scoring_server import client as scoring_client
from sklearn.datasets import load_breast_cancer

from tests.servers import export_breast_cancer, free_port, local_env, running

pytestmark = pytest.mark.integration

API_KEY = "mlflow-client-key-0123456789"
# MLflow's client is unannotated; Any keeps mypy strict on everything else here.
ScoringServerClient: Any = scoring_client.ScoringServerClient


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, int]]:
    work = tmp_path_factory.mktemp("mlflow-client")
    exported = export_breast_cancer(work)
    env = local_env(work, PREDICTOR_API_KEYS=API_KEY)
    port = free_port()
    with running(["serve", "--port", str(port), "--model-dir", str(exported)], env, work, port) as (base, _):
        yield base, port


def rows() -> pd.DataFrame:
    data = load_breast_cancer(as_frame=True).data
    assert isinstance(data, pd.DataFrame)
    return data.head(50)


def test_the_unchanged_client_predicts_with_the_key_in_its_url(served: tuple[str, int]) -> None:
    base, port = served
    client = ScoringServerClient(f"any:{API_KEY}@127.0.0.1", port)

    client.wait_server_ready(timeout=30)
    answered = client.invoke(rows())

    expected = httpx.post(
        f"{base}/invocations",
        json={"dataframe_split": rows().to_dict(orient="split")},
        headers={"X-API-Key": API_KEY},
    )
    assert expected.status_code == 200, expected.text
    assert answered == expected.json()
    assert len(answered["predictions"]) == 50


def test_the_client_reads_the_version_without_a_key(served: tuple[str, int]) -> None:
    base, port = served
    assert ScoringServerClient("127.0.0.1", port).get_version() == httpx.get(f"{base}/version").text


def test_a_wrong_key_in_the_url_is_refused(served: tuple[str, int]) -> None:
    _, port = served
    with pytest.raises(Exception, match="401"):
        ScoringServerClient("any:not-the-key-0123456789@127.0.0.1", port).invoke(rows())
