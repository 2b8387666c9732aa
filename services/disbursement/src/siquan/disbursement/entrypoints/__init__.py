"""Disbursement's entrypoint: the operator HTTP API (message handlers are declared with
`handles` in `application/`)."""
