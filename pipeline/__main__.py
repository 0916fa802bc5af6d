"""`python -m pipeline` is the same as `brief`."""

from .cli import main

main()
