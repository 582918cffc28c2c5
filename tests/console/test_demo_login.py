"""`serve --demo` gives a new user a way into the console: a demo operator, made once."""

from __future__ import annotations

from smssign.app.demo import DEMO_OPERATOR, DemoOperator, console_login, ensure_demo_operator
from smssign.app.runtime import Runtime
from smssign.backoffice.services import open_backoffice
from tests.backoffice import login
from tests.conftest import Server


async def operator_names(runtime: Runtime) -> list[str]:
    async with open_backoffice(runtime) as backoffice:
        return [operator.name for operator in await backoffice.operators.operators()]


def test_the_demo_operator_is_made_once_and_logs_in(server: Server) -> None:
    first: DemoOperator = server.run(ensure_demo_operator)
    # A restart: the same operator and password, no second operator, no failure.
    again: DemoOperator = server.run(ensure_demo_operator)
    assert again == first
    assert first.name == DEMO_OPERATOR and len(first.password) >= 12
    assert server.run(operator_names).count(DEMO_OPERATOR) == 1

    printed = console_login(first, server.url)
    assert f"{server.url}/console/" in printed
    assert DEMO_OPERATOR in printed and first.password in printed

    session = login(server, first.name, first.password)
    try:
        assert "Dashboard" in session.get("/console/").text
    finally:
        session.close()
