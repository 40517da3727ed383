"""`python -m dockyard` runs the command-line interface."""

from dockyard.cli.main import main

main()
