"""Real Redis and PostgreSQL processes that the tests start themselves on free ports."""
