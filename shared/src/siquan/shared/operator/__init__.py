"""The operator's command-line side: an HTTP client for the four services' APIs, the
county cycle that the demo and the end-to-end tests drive, and the demo itself. It talks to
the services only over HTTP, like any officer's tool."""
