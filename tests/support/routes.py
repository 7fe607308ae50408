"""The routes of one of the app's blueprints, read at collection time from the blueprint itself,
so that a test which goes through every route picks up a new one without being edited."""

from __future__ import annotations

from flask import Blueprint, Flask
from werkzeug.routing import Rule


def blueprint_rules(blueprint: Blueprint) -> list[Rule]:
    app = Flask(__name__)
    app.register_blueprint(blueprint)
    return sorted(
        (rule for rule in app.url_map.iter_rules() if rule.endpoint.startswith(f"{blueprint.name}.")),
        key=lambda rule: rule.rule,
    )
