"""`python -m bench`: run the benchmarks, print the table, write results.json and the plot."""

import sys

from bench.run import main

sys.exit(main())
