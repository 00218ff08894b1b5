# The AWS Lambda function as a container image: Lambda's Python 3.12 base image, the handler
# predictor.entrypoints.lambda_handler.handler, and an exported model baked in at build time.
#
# Build (from the repository root; MODEL_DIR is a directory from `predictor export`, inside the
# build context; VERSION and REVISION fill the OCI labels):
#   .venv/bin/predictor export models:/demo@production build/model
#   docker build -f docker/lambda.Dockerfile -t predictor-lambda --build-arg MODEL_DIR=build/model \
#     --build-arg VERSION=0.1.0 --build-arg REVISION="$(git rev-parse HEAD)" .
# Try it locally (the base image carries the Runtime Interface Emulator):
#   docker run -p 9000:8080 -e PREDICTOR_API_KEYS=change-me-0123456789 predictor-lambda
#   then POST an API Gateway event to http://localhost:9000/2015-03-31/functions/function/invocations
#
# The packages are tools/requirements.py's `lambda` install, the same as `make lambda-zip`'s:
# xgboost-cpu for xgboost (no NCCL), no scipy, uvloop or httptools (no server runs on Lambda).
# PYTHON_VERSION is the runtime's Python the wheels and bytecode are for (keep it the base's).
#
# CMD: predictor.entrypoints.lambda_handler.handler (the base image's ENTRYPOINT runs it). It
# reads the settings of docs/aws.md#lambda, among them: PREDICTOR_MODEL_DIR (default: the baked
# $LAMBDA_TASK_ROOT/model), PREDICTOR_SECRET_STORE=aws and PREDICTOR_KEYS_SECRET_ID (API keys from
# Secrets Manager; PREDICTOR_API_KEYS otherwise), PREDICTOR_METRICS_SINK (emf), PREDICTOR_REFRESH
# (on_request), PREDICTOR_MLFLOW_TRACKING_URI (to follow a registry alias instead).
# Writes only to /tmp (PREDICTOR_CACHE_DIR), as Lambda's file system is read-only elsewhere.
#
# Base images are pinned by exact tag, not digest: no registry can be reached where this was
# written, and a digest not read from the registry would be made up.
# tests/integration/test_images.py runs this file's install commands into a scratch prefix and
# starts its CMD from there under the Lambda runtime client.

FROM ghcr.io/astral-sh/uv:0.13.9 AS uv

FROM python:3.12.12-slim-bookworm AS build
COPY --from=uv /uv /usr/local/bin/uv
ARG PYTHON_VERSION=3.12
ENV LAMBDA_TASK_ROOT=/var/task \
    UV_PYTHON_DOWNLOADS=never \
    UV_COMPILE_BYTECODE=1 \
    UV_LINK_MODE=copy
WORKDIR /src
COPY pyproject.toml uv.lock README.md ./
COPY src ./src
COPY tools ./tools
# --reinstall-package: uv's cache keys a local project's build on pyproject.toml, not src/.
RUN python -m tools.requirements lambda > requirements.txt \
    && uv pip install --no-deps --reinstall-package predictor --target "$LAMBDA_TASK_ROOT" \
       --python-platform x86_64-manylinux_2_28 --python-version "$PYTHON_VERSION" -r requirements.txt .

FROM public.ecr.aws/lambda/python:3.12.2026.06.02.15-x86_64
ARG MODEL_DIR=build/model
ARG VERSION=0.1.0
ARG REVISION=unknown
LABEL org.opencontainers.image.title="predictor-lambda" \
      org.opencontainers.image.licenses="Apache-2.0" \
      org.opencontainers.image.version="${VERSION}" \
      org.opencontainers.image.revision="${REVISION}"
COPY --from=build /var/task ${LAMBDA_TASK_ROOT}
COPY ${MODEL_DIR} ${LAMBDA_TASK_ROOT}/model
ENV PREDICTOR_PROFILE=prod \
    PREDICTOR_CACHE_DIR=/tmp/predictor/cache
CMD ["predictor.entrypoints.lambda_handler.handler"]
