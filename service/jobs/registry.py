"""Which functions a queued job may run, looked up by name, wherever their module lives now.

A job in Redis carries the name of its function. RQ's own `Job` imports whatever dotted path
that name is, so after a release moves a module the jobs an earlier release queued fail (and
a job naming any importable function, `os.system`, would run it). The worker's jobs are
`RegisteredJob`s: their name is looked up in `JOBS`, and nothing else is imported or run.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from rq.job import Job

from service.jobs import tasks

# Every job the line queues, by the name `JobQueue` queues it under (the core's timers name
# theirs: `expire_offer`, `realert_escalation`, `ring_held_caller`, `place_call`).
JOBS: dict[str, Callable[..., None]] = {
    job.__name__: job
    for job in (
        tasks.route_stored,
        tasks.help_route,
        tasks.deliver_outbound,
        tasks.expire_offer,
        tasks.lapse_transfer,
        tasks.move_call_to_conference,
        tasks.sync_call_participant,
        tasks.ring_held_caller,
        tasks.place_call,
        tasks.realert_escalation,
        tasks.sweep,
        tasks.alert_operators,
        tasks.watch_rota,
        tasks.resume_after_outage,
        tasks.purge_expired,
    )
}
# Releases up to 0.1.0 kept the jobs in one module and queued them by its dotted path
# (`service.jobs.deliver_outbound`); jobs they queued may still wait in Redis after an upgrade.
LEGACY_MODULE = "service.jobs"
# The names a job may carry: its own; the dotted path RQ writes for the function itself
# (`queue.enqueue(tasks.sweep)`); the path an earlier release wrote.
NAMES: dict[str, Callable[..., None]] = {
    **JOBS,
    **{f"{job.__module__}.{name}": job for name, job in JOBS.items()},
    **{f"{LEGACY_MODULE}.{name}": job for name, job in JOBS.items()},
}


class UnknownJob(Exception):
    """A queued job names a function that is not one of the line's jobs."""


def resolve(name: str) -> Callable[..., None]:
    """The job function `name` stands for; `UnknownJob` for anything else (never imported)."""
    try:
        return NAMES[name]
    except KeyError:
        raise UnknownJob(f"refused job {name!r}: not one of the line's jobs") from None


class RegisteredJob(Job):
    """An RQ job that runs only a function of `JOBS`, found by name rather than imported."""

    @property
    def func(self) -> Callable[..., Any] | None:
        name = self.func_name
        return None if name is None else resolve(name)
