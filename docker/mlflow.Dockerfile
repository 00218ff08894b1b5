# The MLflow tracking server (UI, REST API, model registry, artifact proxy): `predictor mlflow-server`.
#
# Build (from the repository root; VERSION and REVISION fill the OCI labels):
#   docker build -f docker/mlflow.Dockerfile -t predictor-mlflow \
#     --build-arg VERSION=0.1.0 --build-arg REVISION="$(git rev-parse HEAD)" .
# Run, on SQLite and local artifacts in the volume /data:
#   docker run -p 5000:5000 -v mlflow-data:/data predictor-mlflow
# Run on PostgreSQL and S3 (boto3's usual credentials: AWS_ACCESS_KEY_ID..., or a role):
#   docker run -p 5000:5000 -e PREDICTOR_PROFILE=prod \
#     -e PREDICTOR_MLFLOW_BACKEND_STORE_URI=postgresql://mlflow:PASSWORD@db:5432/mlflow \
#     -e PREDICTOR_MLFLOW_ARTIFACTS_DESTINATION=s3://my-bucket/mlflow predictor-mlflow
#
# CMD: predictor mlflow-server --host 0.0.0.0 --port 5000 (add --workers N to change MLflow's
# default of 4 processes). It reads:
#   PREDICTOR_PROFILE: dev (the default here: /data/mlflow.db and /data/mlartifacts) or prod,
#     which needs PREDICTOR_MLFLOW_BACKEND_STORE_URI (postgresql://...) and
#     PREDICTOR_MLFLOW_ARTIFACTS_DESTINATION (s3://...);
#   AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, AWS_DEFAULT_REGION, MLFLOW_S3_ENDPOINT_URL: S3;
#   MLFLOW_SERVER_ALLOWED_HOSTS: the Host headers MLflow answers (its default: localhost and
#     private addresses); clients that reach it by name need that name, e.g. mlflow:5000.
# Writes only to /data (a volume) and /tmp. HEALTHCHECK: GET /health.
#
# Base images are pinned by exact tag, not digest: no registry can be reached where this was
# written, and a digest not read from the registry would be made up.
# tests/integration/test_images.py runs this file's install commands into a scratch prefix and
# starts its CMD from there.

FROM ghcr.io/astral-sh/uv:0.13.9 AS uv

FROM python:3.11.14-slim-bookworm AS build
COPY --from=uv /uv /usr/local/bin/uv
ENV VIRTUAL_ENV=/opt/venv \
    UV_PYTHON_DOWNLOADS=never \
    UV_COMPILE_BYTECODE=1 \
    UV_LINK_MODE=copy
WORKDIR /src
COPY pyproject.toml uv.lock README.md ./
COPY src ./src
COPY tools ./tools
# --reinstall-package: uv's cache keys a local project's build on pyproject.toml, not src/.
RUN python -m tools.requirements mlflow > requirements.txt \
    && uv venv --python python3 "$VIRTUAL_ENV" \
    && uv pip install --no-deps --reinstall-package predictor -r requirements.txt .

FROM python:3.11.14-slim-bookworm
ARG VERSION=0.1.0
ARG REVISION=unknown
LABEL org.opencontainers.image.title="predictor-mlflow" \
      org.opencontainers.image.licenses="Apache-2.0" \
      org.opencontainers.image.version="${VERSION}" \
      org.opencontainers.image.revision="${REVISION}"
COPY --from=build /opt/venv /opt/venv
ENV PATH=/opt/venv/bin:$PATH \
    HOME=/tmp \
    PYTHONDONTWRITEBYTECODE=1 \
    PREDICTOR_PROFILE=dev
WORKDIR /data
RUN chown 10001:10001 .
VOLUME ["/data"]
USER 10001:10001
EXPOSE 5000
HEALTHCHECK --interval=10s --timeout=5s --start-period=30s --retries=5 \
    CMD ["python", "-c", "import urllib.request; urllib.request.urlopen('http://127.0.0.1:5000/health', timeout=4)"]
CMD ["predictor", "mlflow-server", "--host", "0.0.0.0", "--port", "5000"]
