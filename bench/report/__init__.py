"""Results: machine facts, the tables, the JSON files and bench/README.md's results block."""
