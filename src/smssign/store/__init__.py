"""Persistence: SQLAlchemy tables, the repository behind the core's interfaces, migrations.

Importing the package loads SQLAlchemy's asyncio engine without its ORM
(`smssign.store.async_engine`): the store uses Core only, and the ORM is a tenth of a
cold start.
"""

from smssign.store import async_engine

async_engine.load()
