"""`serve --demo` gives a new user a way into the console: a demo operator, made once,
and an approved demo template beside the demo signature.

The server runs as a user starts it, twice on one database: the second start finds the
demo data, prints the same login and template, and makes no second operator or template.
"""

from __future__ import annotations

import re
from pathlib import Path

from smssign.app.demo import DEMO_ACCOUNT, DEMO_OPERATOR, DEMO_TEMPLATE_CONTENT
from smssign.app.runtime import Runtime
from smssign.backoffice.services import open_backoffice
from tests.backoffice import login
from tests.conftest import Server, start_server, stop_server


async def operator_names(runtime: Runtime) -> list[str]:
    async with open_backoffice(runtime) as backoffice:
        return [operator.name for operator in await backoffice.operators.operators()]


def printed_login(server: Server) -> tuple[str, str, str]:
    printed = server.log()
    url = re.search(r"^console: (\S+)$", printed, re.MULTILINE)
    name = re.search(r"^  operator name: (\S+)$", printed, re.MULTILINE)
    password = re.search(r"^  password: (\S+)$", printed, re.MULTILINE)
    assert url and name and password, printed
    return url.group(1), name.group(1), password.group(1)


def printed_template(server: Server) -> tuple[int, str, str]:
    found = re.search(r"^  demo template id: (\d+) \((\w+)\): (.+)$", server.log(), re.MULTILINE)
    assert found, server.log()
    return int(found.group(1)), found.group(2), found.group(3)


async def demo_templates(runtime: Runtime) -> list[tuple[int, str]]:
    account = await runtime.repository.account_named(DEMO_ACCOUNT)
    assert account is not None
    page, _ = await runtime.templates.page(account)
    return [(t.id, t.status.value) for t in page]


def test_demo_prints_a_console_login_that_works_and_survives_a_restart(tmp_path: Path) -> None:
    demo = start_server(tmp_path, "--demo", "--no-rate-limit")
    try:
        url, name, password = printed_login(demo)
        assert url == f"{demo.url}/console/"
        assert name == DEMO_OPERATOR and len(password) >= 12
        template_id, status, content = printed_template(demo)
        assert (status, content) == ("approved", DEMO_TEMPLATE_CONTENT)
        assert demo.run(demo_templates) == [(template_id, "approved")]
        session = login(demo, name, password)
        try:
            assert "Dashboard" in session.get("/console/").text
        finally:
            session.close()
    finally:
        stop_server(demo)

    again = start_server(tmp_path, "--demo", "--no-rate-limit")
    try:
        assert printed_login(again)[1:] == (name, password)
        assert again.run(operator_names).count(DEMO_OPERATOR) == 1
        assert printed_template(again) == (template_id, status, content)
        assert again.run(demo_templates) == [(template_id, "approved")]
        session = login(again, name, password)
        session.close()
    finally:
        stop_server(again)
