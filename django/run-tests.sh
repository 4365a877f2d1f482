#!/usr/bin/env bash
# The Django stage of `npm test`, on each database engine:
#   1. djazzkit's own suite (runtests.py: its own settings and test models, tests/);
#   2. the sample project's tests (django/sample, app `notes`);
# then, once, 3. the package as a user installs it: a virtualenv that sees Debian's Django
#   (--system-site-packages), `pip install` of django/ (pyproject.toml), and the suite of 1.
#   run against the installed copy (install-check.sh).
# Uses Debian's /usr/bin/python3 (the pyenv python3 on PATH cannot see python3-django).
# Fails loudly when Django is missing. Labels as arguments run only those: `tests...` labels go
# to runtests.py, the others to the sample's `manage.py test`; stage 3 runs only without labels.
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
# PostgreSQL is the local server over its socket (see docs/TOOLCHAIN.md); each run uses its own
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

export PYTHONDONTWRITEBYTECODE=1
package_labels=()
sample_labels=()
for label in "$@"; do
  case "$label" in
    tests|tests.*) package_labels+=("$label") ;;
    *) sample_labels+=("$label") ;;
  esac
done

for engine in $ENGINES; do
  if [ "$engine" = postgresql ]; then
    require_postgresql
    export DJAZZKIT_SAMPLE_PG_NAME="djazzkit_tests_$$" DJAZZKIT_TEST_PG_NAME="djazzkit_pkg_tests_$$"
  fi
  if [ "$#" -eq 0 ] || [ "${#package_labels[@]}" -gt 0 ]; then
    echo "run-tests.sh: --- djazzkit's own tests (runtests.py), database engine: $engine"
    (cd "$HERE" && DJAZZKIT_TEST_DB_ENGINE="$engine" "$PYTHON" runtests.py ${package_labels[@]+"${package_labels[@]}"})
  fi
  if [ "$#" -eq 0 ] || [ "${#sample_labels[@]}" -gt 0 ]; then
    echo "run-tests.sh: --- the sample project's tests, database engine: $engine"
    (cd "$HERE/sample" && DJAZZKIT_SAMPLE_DB_ENGINE="$engine" "$PYTHON" manage.py test --noinput ${sample_labels[@]+"${sample_labels[@]}"})
  fi
done
if [ "$#" -eq 0 ]; then
  echo "run-tests.sh: --- pip install of the package into a clean virtualenv, and its tests there (SQLite)"
  bash "$HERE/install-check.sh"
fi
