"""`python -m engine` is the same as the `cloudtrail-to-slack` console script."""

import sys

from engine.cli import main

sys.exit(main())
