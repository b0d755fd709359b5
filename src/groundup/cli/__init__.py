"""The ``groundup`` command.

Each sub-command lives in its own module of this package and exposes ``register(subparsers)``,
which adds its parser and sets ``func`` (called with the parsed ``argparse.Namespace``; it
returns an exit code or None). Anything a user can get wrong raises
:class:`groundup.errors.GroundupError`, printed here as one line with exit status 2.
"""

from __future__ import annotations

import argparse
import importlib
import os
import sys

from groundup import __version__
from groundup.errors import GroundupError

# Sub-command modules, in the order `groundup --help` lists them.
COMMANDS = ["train", "evaluate", "predict", "generate", "compare", "gradcheck", "datasets",
            "lesson", "playground"]


class _Parser(argparse.ArgumentParser):
    def error(self, message):  # one line, exit 2, no usage dump
        self.exit(2, f"groundup: error: {message} (see '{self.prog} --help')\n")


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog="groundup",
        description="Deep learning from first principles: the primer's classifiers, three ways.",
    )
    parser.add_argument("--version", action="version", version=f"groundup {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)
    for name in COMMANDS:
        try:
            module = importlib.import_module(f"groundup.cli.{name}")
        except ModuleNotFoundError as exc:
            if exc.name == f"groundup.cli.{name}":
                continue  # sub-command not written yet
            raise
        module.register(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    args.argv = list(sys.argv[1:] if argv is None else argv)  # relaunched by `train --nproc N`
    if getattr(args, "func", None) is None:
        parser.print_help()
        return 0
    try:
        code = args.func(args)
    except GroundupError as exc:
        print(f"groundup: error: {exc}", file=sys.stderr)
        return 2
    except BrokenPipeError:  # before OSError, which it subclasses
        # The reader went away (`groundup evaluate RUN | head`): not an error of ours. Point
        # stdout at devnull so the interpreter's final flush does not raise again.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 0
    except OSError as exc:  # a folder we may not write, a full disk: the system's words suffice
        print(f"groundup: error: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("groundup: interrupted", file=sys.stderr)
        return 130
    return int(code or 0)


if __name__ == "__main__":
    sys.exit(main())
