"""`python -m pipeline` is the same as `brief`."""

from pipeline.cli import main

main()
