"""A database error while a texter's text is handled is logged, with the failed statement,
and without the texter's number (the engine hides bound parameters, and every log record is
redacted besides)."""

from __future__ import annotations

from sqlalchemy import text

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
