"""Serve smssign with the toy dialect beside the built-in ones: `python -m tests.gateway.toy.serve`.

The toy's provider facts join the registry for this runtime and its wire protocol joins the
gateway's; nothing under src/ changes.
"""

from __future__ import annotations

import sys
from contextlib import AbstractAsyncContextManager
from pathlib import Path

import uvicorn

from smssign.app.runtime import Runtime, open_runtime
from smssign.app.server import create_app
from smssign.app.settings import Settings
from tests.gateway.toy import PROTOCOL, PROVIDERS


def main(port: int, database_url: str, data_dir: Path) -> None:
    settings = Settings(database_url=database_url, data_dir=data_dir)

    def runtime() -> AbstractAsyncContextManager[Runtime]:
        return open_runtime(settings, providers=PROVIDERS)

    app = create_app(settings, runtime_factory=runtime, protocols=(PROTOCOL,))
    uvicorn.run(app, host="127.0.0.1", port=port, log_level="warning")


if __name__ == "__main__":
    main(int(sys.argv[1]), sys.argv[2], Path(sys.argv[3]))
