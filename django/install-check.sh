#!/usr/bin/env bash
# `pip install` of the djazzkit package into a clean virtualenv that sees Debian's Django
# (--system-site-packages), then djazzkit's own suite against the installed copy, run from a
# directory that holds only runtests.py and tests/ (so the source tree cannot be imported).
# Offline: Django and setuptools come from Debian, nothing from PyPI (--no-index).
set -euo pipefail
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
PYTHON="${DJAZZKIT_PYTHON:-/usr/bin/python3}"

if ! "$PYTHON" -c 'import venv, ensurepip' 2>/dev/null; then
  echo "install-check.sh: ERROR: $PYTHON cannot make virtualenvs; apt-get install -y python3-venv" >&2
  exit 2
fi
WORK="$(mktemp -d "${TMPDIR:-/tmp}/djazzkit-install-XXXXXX")"
trap 'rm -rf "$WORK"' EXIT

# A copy of the package sources: pip builds in-tree, and must not litter the repo.
mkdir -p "$WORK/src"
cp -R "$HERE/pyproject.toml" "$HERE/README.md" "$HERE/djazzkit" "$WORK/src/"
"$PYTHON" -m venv --system-site-packages "$WORK/venv"
"$WORK/venv/bin/python" -m pip install --quiet --no-index --no-build-isolation --disable-pip-version-check "$WORK/src"
"$WORK/venv/bin/python" -m pip show --disable-pip-version-check djazzkit | sed -n '1,2p'
"$WORK/venv/bin/python" -c 'import django; print("install-check.sh: Django", django.get_version(), "from", django.__file__)'

mkdir -p "$WORK/run"
cp -R "$HERE/runtests.py" "$HERE/tests" "$WORK/run/"
cd "$WORK/run"
DJAZZKIT_EXPECT_INSTALLED=1 PYTHONDONTWRITEBYTECODE=1 "$WORK/venv/bin/python" runtests.py
