# The Warmline image: one image for the web and worker processes (deploy/compose.yaml picks the
# command). Build from the repository's root: `docker build -t warmline .`
FROM python:3.11-slim-bookworm

ENV PYTHONUNBUFFERED=1 \
    PYTHONDONTWRITEBYTECODE=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PATH=/opt/warmline/venv/bin:$PATH

# A system user with no shell and no password; the code is root's and read-only to it.
RUN groupadd --system --gid 10001 warmline \
 && useradd --system --uid 10001 --gid warmline --home-dir /var/lib/warmline --shell /usr/sbin/nologin warmline \
 && install -d -o warmline -g warmline -m 0700 /var/lib/warmline /var/lib/warmline/spool

WORKDIR /opt/warmline/app

# Dependencies first (a layer that changes only with the locks), every file checked against
# the lock's hashes; pip and setuptools come from their own hashed lock too.
COPY requirements/build.txt requirements/runtime.txt requirements/
RUN python -m venv /opt/warmline/venv \
 && pip install --require-hashes -r requirements/build.txt \
 && pip install --require-hashes -r requirements/runtime.txt

# The project itself, without dependencies (all came from the lock), installed like any
# package: config/ ships inside it (service/config), so the service reads nothing from the
# source tree, which is removed. `warmline --version` says which release runs.
COPY pyproject.toml README.md LICENSE Procfile ./
COPY config config
COPY routing routing
COPY escalation escalation
COPY service service
RUN pip install --no-deps --no-build-isolation . \
 && rm -rf build config routing escalation service *.egg-info

# A command is one Procfile line, run the way honcho runs it (deploy/entrypoint.sh).
COPY --chmod=0755 deploy/entrypoint.sh /usr/local/bin/warmline-entrypoint

USER warmline
EXPOSE 8000

ENTRYPOINT ["/usr/local/bin/warmline-entrypoint"]
CMD ["gunicorn --preload --workers ${WEB_CONCURRENCY:-2} --bind 0.0.0.0:${PORT:-8000} --access-logfile - \"service.app:create_app()\""]
