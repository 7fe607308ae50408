"""Calls: a call to the line step by step, calling a caller back, call status, and the TwiML
each step answers with."""
