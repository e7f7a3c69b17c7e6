"""`python -m bench` (from the repository root, with the main venv): see bench/main.py."""

import sys

from .main import main

sys.exit(main())
