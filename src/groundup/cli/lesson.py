"""``groundup lesson``: list the primer's lessons, or run one (values printed, figures saved).

groundup lesson list
groundup lesson run vectors --out figures/
groundup lesson run all --quick
"""

from __future__ import annotations

import os
import sys
import time
from pathlib import Path

from groundup.cli.args import existing_dir


def register(subparsers) -> None:
    parser = subparsers.add_parser(
        "lesson",
        help="run the primer's demonstrations: values printed and checked, figures saved",
        description="Each lesson prints the numbers the primer states, checks them, and saves "
        "its figures as PNG files.",
    )
    actions = parser.add_subparsers(dest="lesson_action", metavar="ACTION")
    listing = actions.add_parser("list", help="list the lessons and what each shows")
    listing.set_defaults(func=_list)
    run = actions.add_parser("run", help="run one lesson (or 'all')")
    run.add_argument("name", metavar="NAME", help="lesson name from 'groundup lesson list', or all")
    run.add_argument(
        "--out", type=Path, default=None, help="folder for the figures (PNG); none saved if omitted"
    )
    run.add_argument(
        "--quick",
        action="store_true",
        help="smaller training runs (a subset, fewer epochs) for the lessons that train on data",
    )
    run.add_argument("--quiet", action="store_true", help="check the values without printing them")
    run.add_argument(
        "--data-dir",
        type=existing_dir,
        default=None,
        help="where the data sets are (default: $GROUNDUP_DATA_DIR, then ~/.cache/groundup)",
    )
    run.set_defaults(func=_run)
    parser.set_defaults(func=_list)  # plain `groundup lesson` lists them


def _list(args) -> int:
    from groundup.lessons import LESSONS

    width = max(len(name) for name in LESSONS)
    for info in LESSONS.values():
        needs = f"  [needs {info.needs}]" if info.needs else ""
        print(f"{info.name:<{width}}  {info.summary}{needs}")
    return 0


def _run(args) -> int:
    from groundup.lessons import lesson_names, run_lesson

    if args.data_dir is not None:  # the loaders look here first
        os.environ["GROUNDUP_DATA_DIR"] = str(args.data_dir)
    names = lesson_names() if args.name == "all" else [args.name]
    for name in names:
        out = None
        if args.out is not None:
            out = args.out / name if len(names) > 1 else args.out
        start = time.perf_counter()
        try:
            values = run_lesson(name, out_dir=out, verbose=not args.quiet, quick=args.quick)
        except AssertionError as exc:  # a stated value came out wrong: a bug, not a user error
            print(f"groundup: lesson {name} FAILED a check: {exc}", file=sys.stderr)
            return 1
        seconds = time.perf_counter() - start
        saved = f"; figures in {out}" if out is not None else ""
        checked = len(values.checked)  # shown values (arithmetic, timings) are not checks
        print(f"lesson {name}: {checked} values checked, {len(values) - checked} shown, in "
              f"{seconds:.1f} s{saved}")
    return 0
