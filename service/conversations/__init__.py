"""A conversation's life in the database: offers and dispatch, shifts and their limits, risk
and escalations, its ending, the retention purge, and the line's pause."""
