"""SQLModel tables, the database engine, and keyword-only queries. Never imports ``ui``."""
