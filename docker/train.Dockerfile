# A one-shot training job: `predictor train`, logging to an MLflow tracking server and
# registering (and promoting) the model there.
#
# Build (from the repository root; VERSION and REVISION fill the OCI labels):
#   docker build -f docker/train.Dockerfile -t predictor-train \
#     --build-arg VERSION=0.1.0 --build-arg REVISION="$(git rev-parse HEAD)" .
# Run: the demo model (the default arguments), or any `predictor train` arguments after the image:
#   docker run --rm -e MLFLOW_TRACKING_URI=http://mlflow:5000 predictor-train
#   docker run --rm -e MLFLOW_TRACKING_URI=http://mlflow:5000 predictor-train \
#     --dataset wine --register wine --promote staging --trials 20
#
# ENTRYPOINT: predictor train; CMD: --dataset breast-cancer --register demo --promote production
# --if-better --quiet. It reads (docs/configuration.md, docs/training.md):
#   MLFLOW_TRACKING_URI (or PREDICTOR_MLFLOW_TRACKING_URI): the tracking server; unset, a local
#     store in the volume /data (sqlite:///mlflow.db, artifacts in mlartifacts/);
#   PREDICTOR_EXPERIMENT, PREDICTOR_TUNING_PARALLEL_TRIALS, PREDICTOR_LOG_LEVEL;
#   AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, AWS_DEFAULT_REGION: for --data s3://...
# Writes only to /data (a volume) and /tmp; exits 0 when the model is trained (and registered).
#
# Base images are pinned by exact tag, not digest: no registry can be reached where this was
# written, and a digest not read from the registry would be made up.
# tests/integration/test_images.py runs this file's install commands into a scratch prefix and
# starts its ENTRYPOINT and CMD from there.

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
RUN python -m tools.requirements train > requirements.txt \
    && uv venv --python python3 "$VIRTUAL_ENV" \
    && uv pip install --no-deps --reinstall-package predictor -r requirements.txt .

FROM python:3.11.14-slim-bookworm
ARG VERSION=0.1.0
ARG REVISION=unknown
LABEL org.opencontainers.image.title="predictor-train" \
      org.opencontainers.image.licenses="Apache-2.0" \
      org.opencontainers.image.version="${VERSION}" \
      org.opencontainers.image.revision="${REVISION}"
COPY --from=build /opt/venv /opt/venv
ENV PATH=/opt/venv/bin:$PATH \
    HOME=/tmp \
    MPLCONFIGDIR=/tmp/matplotlib \
    PYTHONDONTWRITEBYTECODE=1 \
    PREDICTOR_PROFILE=prod
WORKDIR /data
RUN chown 10001:10001 .
VOLUME ["/data"]
USER 10001:10001
ENTRYPOINT ["predictor", "train"]
CMD ["--dataset", "breast-cancer", "--register", "demo", "--promote", "production", "--if-better", "--quiet"]
