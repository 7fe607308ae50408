"""A database error while a texter's text is handled is logged, with the failed statement,
and without the texter's number (the engine hides bound parameters, and every log record is
redacted besides, in the web process and the worker); a failed job's traceback, which RQ keeps
in Redis, is redacted too."""

from __future__ import annotations

from redis import Redis
from rq import Queue
from rq.serializers import JSONSerializer
from sqlalchemy import text

from service.jobs.worker import Worker
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


def test_a_failed_jobs_traceback_kept_in_redis_holds_no_number(redis_url: str) -> None:
    connection = Redis.from_url(redis_url)
    # A queue no worker listens to: the job is only recorded as failed, by the line's worker
    # class, as RQ records any job that raised.
    queue = Queue("warmline-redaction-test", connection=connection, serializer=JSONSerializer)
    job = queue.enqueue("sweep", job_id="a-job-that-failed-on-a-number")
    worker = Worker([queue], connection=connection, serializer=JSONSerializer)
    # What PostgreSQL's DETAIL line quotes, which no engine setting hides.
    raised = "psycopg.errors.UniqueViolation: Key (phone)=(+12025550143) already exists."
    worker.handle_job_failure(job, queue, exc_string=f"Traceback (most recent call last):\n{raised}\n")
    result = job.latest_result()
    assert result is not None and "Key (phone)=([phone]) already exists" in (result.exc_string or "")
    assert not leaks(result.exc_string or "", "+12025550143")
    queue.failed_job_registry.remove(job.id, delete_job=True)
