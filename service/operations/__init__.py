"""What an operator runs to put a line into service: `warmline check` and `warmline twilio setup`."""

# The parts of `warmline check` besides the configuration, which is always read (here, so the
# command line names them without importing the checks); the restore drill skips the ones
# that reach outside the database.
PARTS = ("database", "redis", "twilio", "public-url")
