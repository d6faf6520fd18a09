# syntax=docker/dockerfile:1
# One image for every role of a Clearance node: the API (`serve`, the default), enclave workers
# (`worker`), migrations (`migrate`) and any `clearance` command. Settings come from the
# environment only (docs/operator-guide.md, docs/operations.md); nothing secret is baked in.
# Build: docker build -t clearance:$(git rev-parse --short HEAD) .
# The base is pinned to an exact tag (the same in both stages); pin it by digest as well when you
# build a release (docs/operations.md, "Deploy").
# --- build: a virtual environment with the node and its pinned dependencies (wheels only) ---
FROM python:3.11.11-slim-bookworm AS build
ENV PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PYTHONDONTWRITEBYTECODE=1
WORKDIR /src
RUN python -m venv /opt/clearance
COPY docker/constraints.txt ./docker/constraints.txt
COPY pyproject.toml README.md ./
COPY access ./access
COPY catalog ./catalog
COPY transfer ./transfer
COPY models ./models
COPY clearance ./clearance
# --only-binary: every dependency is a wheel, so no compiler is needed or shipped. The build
# tools (pip, setuptools, wheel) are removed from the environment that goes to the image.
RUN /opt/clearance/bin/pip install --no-cache-dir --only-binary=:all: \
        -c docker/constraints.txt . \
    && /opt/clearance/bin/pip uninstall --yes pip setuptools wheel \
    && find /opt/clearance -name '__pycache__' -prune -exec rm -rf {} +

# --- runtime: the environment alone, run as an unprivileged user ---
FROM python:3.11.11-slim-bookworm AS runtime
LABEL org.opencontainers.image.title="clearance-node" \
      org.opencontainers.image.description="Clearance node: API, enclave worker, migrations"
# The base's own pip and setuptools go too: nothing in the image can install or build.
RUN python -m pip uninstall --yes --no-cache-dir pip setuptools wheel \
    && groupadd --system --gid 10001 clearance \
    && useradd --system --uid 10001 --gid clearance --home-dir /var/lib/clearance \
        --no-create-home --shell /usr/sbin/nologin clearance \
    && mkdir -p /var/lib/clearance \
    && chown clearance:clearance /var/lib/clearance \
    && chmod 0700 /var/lib/clearance
COPY --from=build /opt/clearance /opt/clearance
ENV PATH=/opt/clearance/bin:$PATH \
    PYTHONUNBUFFERED=1 \
    PYTHONDONTWRITEBYTECODE=1 \
    CLEARANCE_DATA=/var/lib/clearance \
    CLEARANCE_PORT=8000
WORKDIR /var/lib/clearance
USER 10001:10001
EXPOSE 8000
# Liveness only (no database, no blob store): the load balancer asks /readyz itself.
HEALTHCHECK --interval=30s --timeout=6s --start-period=40s --retries=3 \
    CMD ["python", "-m", "clearance.container", "healthcheck"]
ENTRYPOINT ["python", "-m", "clearance.container"]
CMD ["serve"]
