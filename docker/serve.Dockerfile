# The serving image: predictor without the training extras (no MLflow, pandas, scikit-learn,
# Optuna), serving a model directory written by `predictor export`.
#
#   predictor export models:/demo@production build/model
#   docker build -f docker/serve.Dockerfile -t predictor-serve .
#   docker run -p 8000:8000 -e PREDICTOR_API_KEYS=... -v "$PWD/build/model:/model:ro" predictor-serve
#
# tests/integration/test_serving_install.py runs the same install and start commands.

FROM python:3.11-slim AS build
ENV UV_PROJECT_ENVIRONMENT=/opt/venv \
    UV_PYTHON_DOWNLOADS=never \
    UV_COMPILE_BYTECODE=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1
WORKDIR /src
RUN pip install --no-cache-dir "uv==0.13.9"
COPY pyproject.toml uv.lock README.md ./
COPY src ./src
RUN uv sync --frozen --no-dev --no-editable

FROM python:3.11-slim
COPY --from=build /opt/venv /opt/venv
ENV PATH=/opt/venv/bin:$PATH \
    PREDICTOR_PROFILE=prod \
    PREDICTOR_HOST=0.0.0.0 \
    PREDICTOR_PORT=8000 \
    PREDICTOR_MODEL_DIR=/model
USER 10001
EXPOSE 8000
HEALTHCHECK --interval=10s --timeout=3s --start-period=10s \
    CMD ["python", "-c", "import urllib.request; urllib.request.urlopen('http://127.0.0.1:8000/health/ready', timeout=2)"]
CMD ["predictor", "serve"]
