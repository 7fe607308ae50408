#!/bin/sh
# The image's entrypoint. One argument is a Procfile line (compose.yaml's web and worker
# commands): a shell expands it as honcho would, ${WEB_CONCURRENCY:-2} included, and exec
# hands the container's stop signal straight to gunicorn or rq. Several arguments are a
# command as typed, e.g. `docker compose run --rm migrate warmline volunteer add --name "A B" ...`.
if [ "$#" -eq 1 ]; then
  eval "exec $1"
fi
exec "$@"
