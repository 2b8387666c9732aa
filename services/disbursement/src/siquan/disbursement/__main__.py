"""`python -m siquan.disbursement`: run the disbursement service."""

import gc

from siquan.disbursement.app import create_app


def main() -> None:
    # A payer makes tens of thousands of short-lived records per chunk; with the default
    # thresholds the collector walks every long-lived object again many times a chunk.
    gc.set_threshold(50_000, 50, 1_000)
    app = create_app()
    gc.freeze()
    app.state.runtime.serve(app)


if __name__ == "__main__":
    main()
