"""`python -m siquan.fund_custody`: run the fund custody service."""

from siquan.fund_custody.app import create_app


def main() -> None:
    app = create_app()
    app.state.runtime.serve(app)


if __name__ == "__main__":
    main()
