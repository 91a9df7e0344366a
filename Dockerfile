# SkinScope's image: the app on 0.0.0.0:8501 inside the container, as a non-root numeric user.
# No public image registry is assumed: name any slim Python 3.11 image you have.
#
#   docker build --build-arg PYTHON_IMAGE=python:3.11-slim-bookworm -t skinscope .
#   docker run -p 127.0.0.1:8501:8501 -v skinscope-data:/data \
#       -v "$PWD/.streamlit/secrets.toml:/run/secrets/skinscope.toml:ro" skinscope
#
# Settings come from the environment (YOUCAM_*, SKINSCOPE_*, STREAMLIT_SERVER_ALLOWED_HOSTS) and
# from a mounted secrets file: /run/secrets/skinscope.toml (a compose or podman secret) or
# /app/.streamlit/secrets.toml. Nothing secret is baked into the image.
ARG PYTHON_IMAGE=python:3.11-slim-bookworm
FROM ${PYTHON_IMAGE}

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PATH=/opt/venv/bin:$PATH

WORKDIR /app
COPY requirements.txt ./
RUN python3 -m venv /opt/venv \
    && /opt/venv/bin/pip install --no-cache-dir -r requirements.txt

COPY app.py pyproject.toml ./
COPY .streamlit/config.toml .streamlit/config.toml
COPY pages pages
COPY skinapi skinapi

# The run store (runs.sqlite3, photos, masks, exports) lives on a volume; HOME is the user's own.
RUN mkdir -p /data /home/skinscope \
    && chown 10001:10001 /data /home/skinscope
# DL3064 reads "SECRETS" in a name: the value is where the mounted files are, not a secret.
# hadolint ignore=DL3064
ENV HOME=/home/skinscope \
    SKINSCOPE_DATA_DIR=/data \
    STREAMLIT_SECRETS_FILES="/app/.streamlit/secrets.toml /run/secrets/skinscope.toml" \
    STREAMLIT_SERVER_ALLOWED_HOSTS="localhost 127.0.0.1"
VOLUME ["/data"]
USER 10001:10001
EXPOSE 8501

HEALTHCHECK --interval=30s --timeout=5s --start-period=60s --retries=3 \
    CMD ["python3", "-c", "import urllib.request as r; r.urlopen('http://127.0.0.1:8501/_stcore/health', timeout=4)"]

# 0.0.0.0 only here, inside the container: .streamlit/config.toml keeps 127.0.0.1 for
# `streamlit run` on a machine. Publish the port on a loopback address or behind the proxy.
CMD ["streamlit", "run", "app.py", "--server.address=0.0.0.0", "--server.port=8501"]
