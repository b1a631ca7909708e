"""``python -m triage``: the same as the ``triage`` command."""

from triage.cli.main import main

main()
