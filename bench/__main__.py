"""`python -m bench`: the benchmark (bench.run); `python -m bench doors …` and `python -m
bench endpoint …` time the doors users take (bench.doors, bench.endpoint)."""

import sys

from bench import doors, endpoint
from bench.run import main

DOORS = {"doors": doors.main, "endpoint": endpoint.main}

if len(sys.argv) > 1 and sys.argv[1] in DOORS:
    DOORS[sys.argv[1]](sys.argv[2:])
else:
    main()
