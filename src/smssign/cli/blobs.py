"""`smssign blobs`: the stored proof images."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer

from smssign.app.runtime import sweep_blobs
from smssign.app.settings import DEFAULT_DATABASE
from smssign.cli.common import DatabaseOption, DataDirOption, JsonOption, run, settings_for
from smssign.core import images

app = typer.Typer(help="Stored proof images: remove the ones nothing refers to.")


@app.command("sweep")
def blobs_sweep(
    grace: Annotated[
        float,
        typer.Option("--grace", min=0, help="Seconds a new image is kept before it may be swept."),
    ] = images.SWEEP_GRACE,
    as_json: JsonOption = False,
    database: DatabaseOption = DEFAULT_DATABASE,
    data_dir: DataDirOption = Path("./smssign-data"),
) -> None:
    """Remove stored images that no signature or application names (a crash's leftovers)."""
    swept = run(settings_for(database, data_dir), lambda rt: sweep_blobs(rt, grace))
    if as_json:
        typer.echo(json.dumps({"removed": list(swept.removed), "kept": swept.kept}))
        return
    typer.echo(f"removed {len(swept.removed)} unreferenced image(s), kept {swept.kept}")
