"""Background work on RQ: the job functions, what may be queued by name, handing follow-ups to
the queue, the worker class and the sweeper of overdue deadlines."""
