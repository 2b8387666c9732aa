"""Fund custody's use cases: one short async function per command or event."""
