"""The console's message reads never walk the whole messages table: each statement they
run is planned by SQLite as an index or primary-key range (or, unfiltered, a walk in id
order that stops at the page), never a filtered scan or a sort."""

from __future__ import annotations

import asyncio
import sqlite3
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import event

from smssign.app.runtime import open_runtime
from smssign.app.settings import Settings
from smssign.backoffice.webhooks import render_event
from smssign.core.messages import MessageStatus
from smssign.store.backoffice import BackofficeStore
from smssign.store.message_records import MessageSearch

SEARCHES = [
    MessageSearch(),
    MessageSearch(mobile="+8613800138000"),
    MessageSearch(mobile="+8613800138000", text="验证码", status=MessageStatus.FAILED),
    MessageSearch(digits="138001"),
    MessageSearch(text="验证码"),
    MessageSearch(status=MessageStatus.FAILED),
    MessageSearch(account_id=1),
    MessageSearch(account_id=1, status=MessageStatus.DELIVERED, text="码"),
]


def plans(path: Path, statements: list[tuple[str, Any]]) -> list[tuple[str, str]]:
    with sqlite3.connect(path) as conn:
        return [
            (sql, " / ".join(row[3] for row in conn.execute(f"EXPLAIN QUERY PLAN {sql}", params)))
            for sql, params in statements
            if "FROM messages" in sql
        ]


@pytest.mark.parametrize("search", SEARCHES, ids=repr)
def test_a_search_reads_a_range_not_the_table(tmp_path: Path, search: MessageSearch) -> None:
    path = tmp_path / "db.sqlite"
    seen: list[tuple[str, Any]] = []

    async def run() -> None:
        settings = Settings(database_url=f"sqlite:///{path}", data_dir=tmp_path / "data")
        async with open_runtime(settings) as runtime:
            store = BackofficeStore(runtime.repository.engine, render_event)

            @event.listens_for(store.engine.sync_engine, "before_cursor_execute")
            def capture(conn: Any, cursor: Any, sql: str, params: Any, *_: Any) -> None:
                seen.append((sql, params))

            await store.message_search(search, offset=50, limit=50)
            await store.message_counts(0.0)

    asyncio.run(run())
    planned = plans(path, seen)
    assert len(planned) >= 2  # the page and the counts (and the window's newest id)
    for sql, plan in planned:
        # A scan in id order with no filter stops after OFFSET + LIMIT rows; a scan that
        # filters, or a sort, would read every row.
        assert "SCAN messages" not in plan or "WHERE" not in sql, (sql, plan)
        assert "TEMP B-TREE FOR ORDER BY" not in plan, (sql, plan)
