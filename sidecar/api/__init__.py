"""HTTP API: middlewares, request validation, handlers and the route table."""
