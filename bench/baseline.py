"""The baseline: a bare Starlette JSON endpoint on the uvicorn settings `smssign serve` uses.

Run as `python -m bench.baseline --port N`. Whatever smssign adds on top of this
(parsing, signature checks, the database, the envelope) is what the ratios measure.
The uvicorn options mirror smssign.app.serving.run for one worker: uvloop, httptools, no
access log, the same log level.
"""

from __future__ import annotations

import argparse

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route


async def hello(request: Request) -> Response:
    return JSONResponse({"status": "ok"})


app = Starlette(routes=[Route("/", hello, methods=["GET", "POST"])])


def main() -> None:
    import uvicorn

    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--log-level", default="warning")
    args = parser.parse_args()
    uvicorn.run(
        app,
        host="127.0.0.1",
        port=args.port,
        loop="uvloop",
        http="httptools",
        log_level=args.log_level,
        access_log=False,
    )


if __name__ == "__main__":
    main()
