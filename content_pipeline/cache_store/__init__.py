"""Where the caches keep their rows: a SQLite file on one machine (the default), or PostgreSQL shared by many
workers; one set of tables and statements (SQLAlchemy Core) for both."""
