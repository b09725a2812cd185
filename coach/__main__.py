"""`python -m coach`."""

from .cli import main

main()
