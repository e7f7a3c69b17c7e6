"""Request handlers, one module per resource; schemas live next to the handler using them."""
