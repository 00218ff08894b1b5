"""A compose file's services run as local processes from this virtualenv, for machines without
Docker: ``python -m tools.compose_local up --external postgres=127.0.0.1:5432`` (docs/compose.md).

Each service runs its own ``entrypoint`` + ``command`` with its own ``environment`` (interpolated
from this shell, as Compose does), in dependency order, each dependency waited on as the
``depends_on`` condition says: started; healthy (the service's own health check passes); or
completed successfully (exit 0). Service host names and container ports become loopback
addresses (the published host port, else a free one), named volumes and tmpfs mounts become
directories, and an ``--external`` service is one already running at the given address.
"""
