"""The people who run the line: the roster, supervisors' actions, reports, transcripts and the
audit trail."""
