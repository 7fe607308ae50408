"""A database error while a texter's text is handled is logged, with the failed statement,
and without the texter's number (the engine hides bound parameters, and every log record is
redacted besides, in the web process and the worker); a failed job's traceback, which RQ keeps
in Redis, is redacted too."""

from __future__ import annotations

import time

from rq import Queue
from rq.job import Job, JobStatus
from rq.serializers import JSONSerializer
from sqlalchemy import text

from service.jobs.job_queue import QUEUE_NAME
from tests.support.line import Line
from tests.support.privacy import leaks
from tests.support.stack import People, Stack


def test_a_database_error_during_a_texters_text_logs_no_number(
    line: Line, people: People, stack: Stack, log_lines: list[str]
) -> None:
    texter = people.texter()
    line.texter_numbers.add(texter)  # the privacy audit after the test checks every log line for it too
    first = len(log_lines)
    with stack.runtime.engine.begin() as connection:
        connection.execute(text("ALTER TABLE volunteers RENAME TO volunteers_away"))
    try:
        response = line.post("/twilio/sms", line.sms_form(texter, "hello, is anyone there"))
    finally:
        with stack.runtime.engine.begin() as connection:
            connection.execute(text("ALTER TABLE volunteers_away RENAME TO volunteers"))
    assert response.status_code == 500
    written = "\n".join(log_lines[first:])
    assert 'relation "volunteers" does not exist' in written, "the error itself is logged"
    assert not leaks(written, texter)


def test_a_failed_jobs_traceback_kept_in_redis_holds_no_number(line: Line, stack: Stack) -> None:
    number = People.new_number()
    line.texter_numbers.add(number)  # the worker's log of the failure is audited too
    queue = Queue(QUEUE_NAME, connection=stack.runtime.redis, serializer=JSONSerializer)
    # PostgreSQL quotes a value it cannot read in its own message, which no engine setting hides.
    job = queue.enqueue("deliver_outbound", number, job_id="a-job-with-a-number", failure_ttl=60)
    deadline = time.monotonic() + 30
    while (failed := Job.fetch(job.id, connection=stack.runtime.redis, serializer=JSONSerializer)).get_status() != (
        JobStatus.FAILED
    ):
        assert time.monotonic() < deadline, "the job did not fail"
        time.sleep(0.1)
    result = failed.latest_result()
    assert result is not None and "invalid input syntax for type integer" in (result.exc_string or "")
    assert not leaks(result.exc_string or "", number)
    queue.failed_job_registry.remove(job.id, delete_job=True)
