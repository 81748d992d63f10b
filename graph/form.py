"""Command line for benchmarks and researchers: ``python -m graph.form mdgp|golfers ...``.

``mdgp FILE`` solves an MDGPLIB instance and prints ``{"groups", "objective", "seconds"}``;
``golfers`` plans social-golfer rounds and prints ``{"rounds", "repeated_pairs", "seconds"}``.
JSON goes to stdout, a progress bar to stderr, a readable error (exit status 2) on bad input.
"""

from __future__ import annotations

import argparse
import importlib
import json
import sys
import time
from collections.abc import Callable, Sequence
from typing import Any, TextIO

from graph.errors import FormationError
from graph.mdgp import solve_groups
from graph.mdgp.mdgplib import read_instance

__all__ = ["main", "parser", "progress_bar"]


def progress_bar(stream: TextIO, width: int = 30) -> Callable[[float], None]:
    """A callback drawing ``[#####     ]  50%`` on ``stream`` (a terminal's stderr).

    Parameters
    ----------
    stream : text stream
    width : int
        Characters inside the brackets.

    Returns
    -------
    callable
        Takes the fraction done, 0..1; at 1 it ends the line.

    Examples
    --------
    >>> import io
    >>> out = io.StringIO()
    >>> bar = progress_bar(out, width=4)
    >>> bar(0.5); bar(1.0)
    >>> out.getvalue()
    '\\r[##  ]  50%\\r[####] 100%\\n'

    Notes
    -----
    O(width) per call.
    """
    def draw(fraction: float) -> None:
        done = round(max(0.0, min(fraction, 1.0)) * width)
        stream.write(f"\r[{'#' * done}{' ' * (width - done)}] {fraction:4.0%}")
        if fraction >= 1.0:
            stream.write("\n")
        stream.flush()

    return draw


def _mdgp(args: argparse.Namespace) -> dict[str, Any]:
    instance = read_instance(args.file)
    result = solve_groups(instance.weights, instance.bounds, time_limit=args.time_limit,
                          seed=args.seed, progress=progress_bar(sys.stderr))
    return {"groups": result.groups, "objective": round(result.objective, 9),
            "seconds": result.seconds}


def _golfers(args: argparse.Namespace) -> dict[str, Any]:
    try:
        rounds_module = importlib.import_module("graph.rounds")
    except ModuleNotFoundError:
        raise FormationError("social golfer planning (graph.rounds) is not available") from None
    started = time.monotonic()
    rounds, repeated = rounds_module.golfers(args.groups, args.size, args.rounds,
                                             time_limit=args.time_limit, seed=args.seed)
    return {"rounds": [[list(map(int, g)) for g in r] for r in rounds],
            "repeated_pairs": int(repeated), "seconds": time.monotonic() - started}


def parser() -> argparse.ArgumentParser:
    """The argument parser of ``python -m graph.form``.

    Returns
    -------
    argparse.ArgumentParser
        With the subcommands ``mdgp`` and ``golfers``.

    Examples
    --------
    >>> args = parser().parse_args(["golfers", "--groups", "5", "--size", "3", "--rounds", "7"])
    >>> args.command, args.groups, args.time_limit, args.seed
    ('golfers', 5, 60.0, None)

    Notes
    -----
    O(1).
    """
    main = argparse.ArgumentParser(prog="python -m graph.form", description=__doc__)
    commands = main.add_subparsers(dest="command", required=True)
    mdgp = commands.add_parser("mdgp", help="solve an MDGPLIB instance")
    mdgp.add_argument("file", help="instance file in MDGPLIB format")
    golfers = commands.add_parser("golfers", help="plan social golfer rounds")
    golfers.add_argument("--groups", type=int, required=True, help="groups per round")
    golfers.add_argument("--size", type=int, required=True, help="people per group")
    golfers.add_argument("--rounds", type=int, required=True, help="number of rounds")
    for command, limit in ((mdgp, 1.0), (golfers, 60.0)):
        command.add_argument("--time-limit", type=float, default=limit, help="seconds (cap)")
        command.add_argument("--seed", type=int, default=None, help="random seed")
    return main


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line: JSON on stdout, progress and errors on stderr.

    Parameters
    ----------
    argv : sequence of str, optional
        The arguments; None reads ``sys.argv``.

    Returns
    -------
    int
        0 on success, 2 when the input is unreadable, malformed or infeasible (argparse
        exits with 2 itself on a usage error).

    Examples
    --------
    >>> main(["mdgp", "/nonexistent/instance.txt"])
    2

    Notes
    -----
    As the solver called: :func:`graph.mdgp.solve_groups` or :func:`graph.golfers.golfers`.
    """
    args = parser().parse_args(argv)
    try:
        answer = _mdgp(args) if args.command == "mdgp" else _golfers(args)
    except (FormationError, OSError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    print(json.dumps(answer))
    return 0


if __name__ == "__main__":
    sys.exit(main())
