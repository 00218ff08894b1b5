"""The ``make run`` journey: an API key, a trained demo model, and a curl line that works."""

from __future__ import annotations

import json
import os
import secrets
import shlex
from collections.abc import Callable
from pathlib import Path

import click

from predictor.config import API_KEYS_SECRET, Settings
from predictor.entrypoints.cli.base import cli, reports_errors, settings_from_env
from predictor.entrypoints.cli.serve import run_server

DEMO_DATASET = "breast-cancer"
KEY_FILE = Path(".predictor/demo-api-key")


def demo_api_key() -> str:
    """The key from PREDICTOR_API_KEYS, else the one kept in .predictor/, else a new one."""
    configured = [k for k in os.environ.get(API_KEYS_SECRET, "").split(",") if k.strip()]
    if configured:
        return configured[0].strip()
    if KEY_FILE.is_file():
        key = KEY_FILE.read_text().strip()
        if key:
            return key
    KEY_FILE.parent.mkdir(parents=True, exist_ok=True)
    key = secrets.token_urlsafe(24)
    KEY_FILE.write_text(key + "\n")
    KEY_FILE.chmod(0o600)
    return key


def set_up_demo(settings: Settings, echo: Callable[[str], None]) -> None:
    # Imported here, not at the top: `predictor serve` shares this module's group and should
    # not pay for the training side on start.
    from predictor.container import build_container
    from predictor.domain.errors import ModelNotFound
    from predictor.domain.model import ModelRef
    from predictor.services.training.pipeline import TrainingRequest

    key = demo_api_key()
    os.environ.setdefault(API_KEYS_SECRET, key)
    container = build_container(settings)
    ref = ModelRef(settings.serving.model_name, alias=settings.serving.model_alias)
    try:
        version = container.adapters.registry().resolve(ref)
        echo(f"{ref} is version {version.version}: serving it (no retraining)")
    except ModelNotFound:
        echo(f"no {ref} yet: training the demo model on UCI Breast Cancer …")
        outcome = container.train_model()(
            TrainingRequest(
                dataset=DEMO_DATASET,
                experiment=settings.tracking.experiment,
                register_as=settings.serving.model_name,
                promote_to=settings.serving.model_alias,
            )
        )
        metrics = ", ".join(f"{k}={v:.4f}" for k, v in sorted(outcome.metrics.items()))
        registered = outcome.version.version if outcome.version else "?"
        echo(f"registered {settings.serving.model_name} version {registered} ({metrics})")
    table = container.adapters.datasets().load(DEMO_DATASET)
    row = {name: table.columns[name][0] for name in table.feature_names}
    body = json.dumps({"instances": [row]})
    url = f"http://{settings.http.host}:{settings.http.port}/predict"
    echo("")
    echo(f"API key for this demo: {key}")
    echo("Try it (paste into another terminal once the server says it is running):")
    echo(f"  curl -s {url} -H 'X-API-Key: {key}' -H 'Content-Type: application/json' -d {shlex.quote(body)}")
    echo("")


@cli.command()
@reports_errors
def demo() -> None:
    """Train the demo model on UCI Breast Cancer if none is in production yet, then serve it.

    This is what `make run` does. The generated API key is kept in .predictor/demo-api-key.
    """
    settings = settings_from_env()
    set_up_demo(settings, echo=click.echo)
    run_server(settings)
