"""The two baselines `scripts/bench.py` measures the SMS webhook against, served by gunicorn
with the Procfile's settings: `/empty` answers empty TwiML and does nothing else (the cost of
Flask and gunicorn), `/insert` also inserts one row and commits it in PostgreSQL (the cost of
one durable write: the real floor of a webhook that must not lose a message).

    gunicorn --pythonpath scripts "bench_baseline:create_app()"     (DATABASE_URL names the database)
"""

from __future__ import annotations

import os
from datetime import UTC, datetime

from flask import Flask, Response, request
from sqlalchemy import Column, DateTime, Integer, MetaData, String, Table, Text, insert

from service.db.engine import make_engine, make_sessionmaker

EMPTY_TWIML = '<?xml version="1.0" encoding="UTF-8"?><Response />'
metadata = MetaData()
writes = Table(
    "bench_writes",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("sid", String(64)),
    Column("body", Text),
    Column("received_at", DateTime(timezone=True)),
)


def create_app() -> Flask:
    """The same engine and session settings as the service (`service.db.engine`)."""
    engine = make_engine(os.environ["DATABASE_URL"])
    metadata.create_all(engine)
    # gunicorn --preload forks the workers after this: none may inherit a pooled connection.
    engine.dispose()
    sessions = make_sessionmaker(engine)
    app = Flask(__name__)

    @app.get("/healthz")
    def healthz() -> str:
        return "ok"

    @app.post("/empty")
    def empty() -> Response:
        return Response(EMPTY_TWIML, mimetype="text/xml")

    @app.post("/insert")
    def one_insert() -> Response:
        with sessions() as session, session.begin():
            session.execute(
                insert(writes).values(
                    sid=request.form.get("MessageSid", ""),
                    body=request.form.get("Body", ""),
                    received_at=datetime.now(UTC),
                )
            )
        return Response(EMPTY_TWIML, mimetype="text/xml")

    return app
