"""Tools the tests and the scripts share: the fake Twilio server and its driver, the
Procfile's processes, scratch databases, a TCP proxy to cut, a big seeded line, and Chromium."""
