"""`python -m siquan.oversight [verify | report <program_code> <period> [--division D]]`:
run the oversight service, or one of its commands."""

import sys

from siquan.oversight.entrypoints import cli


def main() -> None:
    args = cli.parse(sys.argv[1:])
    if args.command is None:
        from siquan.oversight.app import create_app

        app = create_app()
        app.state.runtime.serve(app)
        return
    sys.exit(cli.run(args))


if __name__ == "__main__":
    main()
