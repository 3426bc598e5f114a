"""``python -m openyurt.runtime.up``: the up/down/cut/heal/status commands (what ``--detach`` runs)."""

from openyurt.runtime.up.cli import main

main()
