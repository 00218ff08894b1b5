# The HTTP API: `predictor serve` on port 8000, serving a directory written by `predictor export`
# (PREDICTOR_MODEL_DIR) or, in the registry variant, a model alias of an MLflow registry.
#
# Build (from the repository root; VERSION and REVISION fill the OCI labels):
#   docker build -f docker/api.Dockerfile -t predictor-api \
#     --build-arg VERSION=0.1.0 --build-arg REVISION="$(git rev-parse HEAD)" .
#   docker build -f docker/api.Dockerfile -t predictor-api-registry --build-arg INSTALL=api-registry .
# Run (an export mounted read-only, the root filesystem read-only, /tmp in memory):
#   docker run -p 8000:8000 --read-only --tmpfs /tmp -e PREDICTOR_API_KEYS=change-me-0123456789 \
#     -v "$PWD/build/model:/model:ro" predictor-api
#
# Variants, by the build argument INSTALL (tools/requirements.py lists them):
#   api (default)  the serving dependencies only: no MLflow, pandas, scikit-learn, scipy; serves
#                  PREDICTOR_MODEL_DIR (default /model).
#   api-registry   adds the mlflow extra, to follow models:/PREDICTOR_MODEL_NAME@PREDICTOR_MODEL_ALIAS
#                  on MLFLOW_TRACKING_URI: run it with PREDICTOR_MODEL_DIR= (empty) and those set.
# Either way xgboost-cpu of the locked version replaces xgboost, whose Linux wheel pulls in
# NVIDIA's NCCL (469 MB) for nothing on a CPU; so the install is `uv pip install` of the locked
# export (tools/requirements.py) rather than `uv sync`, which would install the locked xgboost.
#
# CMD: predictor serve. It reads (docs/configuration.md lists every setting):
#   PREDICTOR_HOST, PREDICTOR_PORT (0.0.0.0, 8000), PREDICTOR_WORKERS (1): processes on one socket;
#   PREDICTOR_HEADER_TIMEOUT_S, PREDICTOR_BODY_TIMEOUT_S, PREDICTOR_KEEP_ALIVE_TIMEOUT_S,
#   PREDICTOR_MAX_CONNECTIONS: the connection timeouts and cap per worker;
#   PREDICTOR_API_KEYS (required), PREDICTOR_PROFILE (prod), PREDICTOR_MODEL_DIR (/model),
#   PREDICTOR_MODEL_NAME, PREDICTOR_MODEL_ALIAS, MLFLOW_TRACKING_URI (registry variant),
#   PREDICTOR_CACHE_DIR (/tmp/predictor/cache: the only place it writes, with Prometheus' /tmp files).
# Graceful shutdown: on SIGTERM (docker stop) uvicorn stops accepting, closes idle keep-alive
# connections and gives the requests in flight PREDICTOR_GRACEFUL_SHUTDOWN_S (8 s here, under
# docker stop's 10 s; raise both together, or set it under Kubernetes' 30 s grace period).
# HEALTHCHECK: GET /health/live on PREDICTOR_PORT.
#
# Base images are pinned by exact tag, not digest: no registry can be reached where this was
# written, and a digest not read from the registry would be made up.
# tests/integration/test_images.py runs this file's install commands into a scratch prefix and
# starts its CMD from there.

FROM ghcr.io/astral-sh/uv:0.13.9 AS uv

FROM python:3.11.14-slim-bookworm AS build
COPY --from=uv /uv /usr/local/bin/uv
ARG INSTALL=api
ENV VIRTUAL_ENV=/opt/venv \
    UV_PYTHON_DOWNLOADS=never \
    UV_COMPILE_BYTECODE=1 \
    UV_LINK_MODE=copy
WORKDIR /src
COPY pyproject.toml uv.lock README.md ./
COPY src ./src
COPY tools ./tools
# --reinstall-package: uv's cache keys a local project's build on pyproject.toml, not src/.
RUN python -m tools.requirements "$INSTALL" > requirements.txt \
    && uv venv --python python3 "$VIRTUAL_ENV" \
    && uv pip install --no-deps --reinstall-package predictor -r requirements.txt .

FROM python:3.11.14-slim-bookworm
ARG VERSION=0.1.0
ARG REVISION=unknown
LABEL org.opencontainers.image.title="predictor-api" \
      org.opencontainers.image.licenses="Apache-2.0" \
      org.opencontainers.image.version="${VERSION}" \
      org.opencontainers.image.revision="${REVISION}"
COPY --from=build /opt/venv /opt/venv
ENV PATH=/opt/venv/bin:$PATH \
    HOME=/tmp \
    PYTHONDONTWRITEBYTECODE=1 \
    PREDICTOR_PROFILE=prod \
    PREDICTOR_HOST=0.0.0.0 \
    PREDICTOR_PORT=8000 \
    PREDICTOR_MODEL_DIR=/model \
    PREDICTOR_CACHE_DIR=/tmp/predictor/cache \
    PREDICTOR_GRACEFUL_SHUTDOWN_S=8
WORKDIR /tmp
USER 10001:10001
EXPOSE 8000
STOPSIGNAL SIGTERM
HEALTHCHECK --interval=10s --timeout=3s --start-period=20s --retries=3 \
    CMD ["python", "-c", "import os, urllib.request; urllib.request.urlopen('http://127.0.0.1:' + os.environ.get('PREDICTOR_PORT', '8000') + '/health/live', timeout=2)"]
CMD ["predictor", "serve"]
