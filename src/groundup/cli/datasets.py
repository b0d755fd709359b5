"""``groundup datasets``: a table of every data set, and whether it can be loaded here."""

from __future__ import annotations

import argparse


def register(subparsers) -> None:
    parser = subparsers.add_parser(
        "datasets",
        help="list the data sets: shape, classes, source, licence, available locally",
        description="List every data set groundup.data.load knows, with its shape, classes, "
        "source and licence, and whether it can be loaded without the network.",
    )
    parser.add_argument(
        "--data-dir",
        default=None,
        help="directory searched first for data files (then $GROUNDUP_DATA_DIR, "
        "then ~/.cache/groundup)",
    )
    parser.set_defaults(func=run)


def _classes(classes: tuple[str, ...]) -> str:
    if len(classes) > 3:
        return f"{len(classes)} ({classes[0]}, ..., {classes[-1]})"
    return ", ".join(classes)


def run(args: argparse.Namespace) -> int:
    from rich.console import Console
    from rich.table import Table

    from groundup.data import data_dirs, is_available, list_datasets

    table = Table(title="groundup data sets", show_lines=False)
    for column in ("name", "shape"):  # never cut: "60000+10000 x 28x28" is one word to rich
        table.add_column(column, no_wrap=True)
    for column in ("classes", "source", "licence", "available"):
        table.add_column(column)
    for info in list_datasets():
        if info.kind == "embedded":
            available = "yes (package)"
        elif info.kind == "generated":
            available = "yes (generated)"
        elif is_available(info, args.data_dir):
            available = "yes"
        elif info.name == "cat":
            available = "no: copy files"
        else:
            available = "downloads on load"
        table.add_row(
            info.name,
            info.shape,
            _classes(info.classes),
            info.source,
            info.license,
            available,
        )
    console = Console()
    if not console.is_terminal:  # a pipe or a file has no width to fit: print every cell whole
        natural = console.measure(table, options=console.options.update_width(1000)).maximum
        console = Console(width=max(natural, console.width))
    console.print(table)
    console.print("data directories searched: " + ", ".join(map(str, data_dirs(args.data_dir))))
    return 0
