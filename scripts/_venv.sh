# Sourced by scripts/run and scripts/test: find Python 3.13, create or reuse .venv, install.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
VENV="${AI_MEMORY_VENV:-$ROOT/.venv}"

find_python() {
    if command -v python3.13 >/dev/null 2>&1 && python3.13 -c 'import sys' >/dev/null 2>&1; then
        command -v python3.13
        return
    fi
    for candidate in "${PYENV_ROOT:-$HOME/.pyenv}"/versions/3.13*/bin/python3.13; do
        if [ -x "$candidate" ]; then
            echo "$candidate"
            return
        fi
    done
    echo "error: Python 3.13 is required (Home Assistant needs it) but python3.13 was not found" \
         "on PATH or under ~/.pyenv/versions. Install Python 3.13 and retry." >&2
    exit 1
}

if [ ! -x "$VENV/bin/python" ]; then
    PYTHON="$(find_python)"
    echo "Creating $VENV with $PYTHON"
    "$PYTHON" -m venv "$VENV"
fi

# Reinstall only when pyproject.toml changed since the last install (the first install takes
# a few minutes: Home Assistant and its test harness).
STAMP="$VENV/.ai-memory-installed"
WANT="$(sha256sum "$ROOT/pyproject.toml" | cut -d' ' -f1)"
if [ "$(cat "$STAMP" 2>/dev/null || true)" != "$WANT" ]; then
    echo "Installing dependencies into $VENV (first time: a few minutes)"
    "$VENV/bin/python" -m pip install --quiet --upgrade pip
    "$VENV/bin/python" -m pip install --quiet -e "$ROOT[test,lint]"
    echo "$WANT" > "$STAMP"
fi
export PATH="$VENV/bin:$PATH"
