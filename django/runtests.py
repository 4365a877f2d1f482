#!/usr/bin/env python3
"""djazzkit's own test suite, on its own settings and test models (tests/settings.py, tests/testapp).

    /usr/bin/python3 runtests.py                      # every test
    /usr/bin/python3 runtests.py tests.test_apply     # some

It tests whichever ``djazzkit`` Python imports: this source tree when run from here, the
installed package when run from a copy of ``runtests.py`` and ``tests/`` elsewhere (then set
DJAZZKIT_EXPECT_INSTALLED=1 to fail unless the package came from site-packages).
"""
import os
import sys


def main(argv):
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tests.settings")
    import django
    from django.conf import settings
    from django.test.utils import get_runner

    django.setup()
    import djazzkit

    where = os.path.dirname(os.path.abspath(djazzkit.__file__))
    print("runtests.py: djazzkit from %s, Django %s" % (where, django.get_version()), file=sys.stderr)
    if os.environ.get("DJAZZKIT_EXPECT_INSTALLED") == "1" and "site-packages" not in where.split(os.sep):
        print("runtests.py: expected the installed djazzkit (site-packages), got %s" % where, file=sys.stderr)
        return 2
    runner = get_runner(settings)(verbosity=1, interactive=False)
    failures = runner.run_tests(argv or ["tests"])
    return 1 if failures else 0


if __name__ == "__main__":
    sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
    sys.exit(main(sys.argv[1:]))
