"""`python -m demo [options]`: what `bin/pacte demo [options]` runs (same options, messages and exit codes)."""

from __future__ import annotations

import sys

from warehouse import cli


def main(argv: list[str] | None = None) -> int:
    from demo.run import run_demo

    args = cli.parser().parse_args(["demo", *(sys.argv[1:] if argv is None else argv)])
    return cli.guarded(lambda: run_demo(args, cli.console))


if __name__ == "__main__":
    sys.exit(main())
