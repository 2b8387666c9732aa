"""Fund custody's entrypoints: the operator HTTP API and the event handlers."""
