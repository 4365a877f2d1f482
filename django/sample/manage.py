#!/usr/bin/env python3
"""The sample Django origin for djazzkit-relay. Run with Debian's /usr/bin/python3."""
import os
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))  # the reusable app django/djazzkit
sys.path.insert(0, str(HERE))


def main():
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "sample.settings")
    try:
        from django.core.management import execute_from_command_line
    except ImportError as exc:
        raise SystemExit(
            "Django is not importable by %s (%s). Use /usr/bin/python3 with Debian's python3-django "
            "(apt-get install -y python3-django)." % (sys.executable, exc)
        )
    execute_from_command_line(sys.argv)


if __name__ == "__main__":
    main()
