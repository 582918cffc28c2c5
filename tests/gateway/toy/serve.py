"""smssign with the toy dialect mounted: `python -m tests.gateway.toy.serve PORT DB DATA_DIR`.

The same app `smssign serve` runs, plus `protocols=(PROTOCOL,)`; no file under src/ knows
the toy exists.
"""

from __future__ import annotations

import sys
from dataclasses import replace
from pathlib import Path

import uvicorn

from smssign.app.server import create_app
from smssign.app.settings import Settings
from tests.gateway.toy.protocol import PROTOCOL, RATE_LIMITS


def main(port: int, database_url: str, data_dir: Path) -> None:
    settings = Settings(database_url=database_url, data_dir=data_dir)
    settings = replace(settings, rate_limits={**settings.rate_limits, **RATE_LIMITS})
    app = create_app(settings, protocols=(PROTOCOL,))
    uvicorn.run(app, host="127.0.0.1", port=port, log_level="warning")


if __name__ == "__main__":
    main(int(sys.argv[1]), sys.argv[2], Path(sys.argv[3]))
