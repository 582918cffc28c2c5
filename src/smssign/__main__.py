"""`python -m smssign` runs the command line."""

from smssign.cli import main

main()
