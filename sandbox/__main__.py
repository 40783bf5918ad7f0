"""``python -m sandbox up --scenario NAME`` / ``python -m sandbox list``."""

import sys

from sandbox.cli import main

sys.exit(main())
