"""The demo's simulator: phones in a browser, and a stand-in for Twilio's Messages API.

Texts typed in a phone pane are posted to the real `/twilio/sms` webhook, signed exactly as
Twilio signs them; texts the line sends go through the real outbox and delivery job and the
real `twilio` client, whose base URL points here, so they land in the panes.
Registered only by `warmline demo`.
"""

from service.dashboard.simulator.blueprint import simulator_blueprint

__all__ = ["simulator_blueprint"]
