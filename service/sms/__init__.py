"""Texts in: the SMS webhook's storing, the router that routes stored texts, the spool for a
database outage, and what a texter's, a volunteer's or a supervisor's text sets off."""
