#!/usr/bin/env bash
# Runs the Django test suite of the origin app (djazzkit) and the sample project (notes).
# Uses Debian's /usr/bin/python3 (the pyenv python3 on PATH cannot see python3-django).
# Fails loudly when Django is missing; extra arguments go to `manage.py test`.
set -euo pipefail
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
PYTHON="${DJAZZKIT_PYTHON:-/usr/bin/python3}"

if [ ! -x "$PYTHON" ]; then
  echo "run-tests.sh: $PYTHON not found; install python3 and python3-django (apt-get install -y python3-django)" >&2
  exit 2
fi
if ! DJANGO_VERSION="$("$PYTHON" -c 'import django; print(django.get_version())' 2>/dev/null)"; then
  echo "run-tests.sh: ERROR: Django is not importable by $PYTHON." >&2
  echo "run-tests.sh: install it with: apt-get update && apt-get install -y python3-django" >&2
  exit 2
fi
echo "run-tests.sh: Django $DJANGO_VERSION with $("$PYTHON" --version 2>&1)"

cd "$HERE/sample"
export PYTHONDONTWRITEBYTECODE=1
if [ "$#" -gt 0 ]; then
  exec "$PYTHON" manage.py test "$@"
fi
exec "$PYTHON" manage.py test djazzkit notes
