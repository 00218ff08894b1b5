"""``GET /metrics``: Prometheus's text format, for an admin key (``PREDICTOR_PROMETHEUS_ENABLED``).

The figures are the whole service's: with ``--workers N`` every worker's counts, whichever
worker answers the scrape (docs/operations.md#prometheus).
"""

from __future__ import annotations

from fastapi import APIRouter, Request, Response

from predictor.domain.ports import MetricsScrape
from predictor.entrypoints.http.security import AdminKeyDep

router = APIRouter()


@router.get(
    "/metrics",
    summary="Prometheus metrics (text format); needs an admin key",
    response_class=Response,
    responses={
        200: {"content": {"text/plain": {}}, "description": "The metrics in Prometheus's text format"}
    },
    tags=["operations"],
)
def metrics(request: Request, _: AdminKeyDep) -> Response:
    # A plain def: a multiprocess scrape reads every worker's files, off the event loop.
    scrape: MetricsScrape = request.app.state.container.adapters.prometheus()
    content_type, body = scrape.scrape()
    return Response(body, media_type=content_type)
