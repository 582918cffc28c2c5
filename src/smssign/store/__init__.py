"""Persistence: SQLAlchemy tables, the repository behind the core's interfaces, migrations."""
