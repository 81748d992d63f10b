"""Third-party browser code installed by ``npm ci``, served from node_modules (never committed)."""

from __future__ import annotations

from pathlib import Path

from flask import Blueprint, abort, send_from_directory
from flask.typing import ResponseReturnValue

from circles import ROOT

bp = Blueprint("vendor", __name__, url_prefix="/vendor")

#: The only files served, each from its package's ``dist`` folder: nothing else in
#: node_modules is reachable over HTTP.
WHITELIST: dict[str, Path] = {
    "socket.io.min.js": Path("node_modules/socket.io-client/dist"),
    "cytoscape.min.js": Path("node_modules/cytoscape/dist"),
}


@bp.get("/<name>")
def asset(name: str) -> ResponseReturnValue:
    """Serve one whitelisted front-end file, or explain that ``npm ci`` has not been run."""
    folder = WHITELIST.get(name)
    if folder is None:
        abort(404)
    directory = ROOT / folder
    if not (directory / name).is_file():
        abort(404, description=f"{name} is not installed: run `npm ci` (or `make run`) "
                               f"in the project folder.")
    return send_from_directory(directory, name, max_age=3600)
