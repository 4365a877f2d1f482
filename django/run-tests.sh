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

# DJAZZKIT_TEST_DB picks the database engine(s): sqlite, postgresql or both (default).
# PostgreSQL is the local server over its socket (see TOOLCHAIN.md); each run uses its own
# database name, so parallel runs never share Django's test_<name> database.
ENGINES="${DJAZZKIT_TEST_DB:-both}"
case "$ENGINES" in
  both) ENGINES="sqlite postgresql" ;;
  sqlite|postgresql) ;;
  *) echo "run-tests.sh: DJAZZKIT_TEST_DB must be sqlite, postgresql or both, not '$ENGINES'" >&2; exit 2 ;;
esac

require_postgresql() {
  if ! "$PYTHON" -c 'import psycopg2' 2>/dev/null; then
    echo "run-tests.sh: ERROR: psycopg2 is not importable by $PYTHON: apt-get install -y python3-psycopg2" >&2
    exit 2
  fi
  if ! "$PYTHON" -c 'import psycopg2; psycopg2.connect(dbname="postgres").close()' 2>/tmp/djazzkit-pg-check.$$; then
    echo "run-tests.sh: ERROR: cannot connect to PostgreSQL (dbname=postgres over the local socket):" >&2
    cat /tmp/djazzkit-pg-check.$$ >&2
    echo "run-tests.sh: install and start it: apt-get install -y postgresql && pg_ctlcluster 15 main start" >&2
    echo "run-tests.sh: and create your role: su postgres -c \"psql -c 'CREATE ROLE $(id -un) SUPERUSER LOGIN'\"" >&2
    rm -f /tmp/djazzkit-pg-check.$$
    exit 2
  fi
  rm -f /tmp/djazzkit-pg-check.$$
}

cd "$HERE/sample"
export PYTHONDONTWRITEBYTECODE=1
if [ "$#" -eq 0 ]; then
  set -- djazzkit notes
fi
for engine in $ENGINES; do
  if [ "$engine" = postgresql ]; then
    require_postgresql
    export DJAZZKIT_SAMPLE_PG_NAME="djazzkit_tests_$$"
  fi
  echo "run-tests.sh: --- database engine: $engine"
  DJAZZKIT_SAMPLE_DB_ENGINE="$engine" "$PYTHON" manage.py test --noinput "$@"
done
