"""Named SQL statements and the functions that run them, one module per table group."""
