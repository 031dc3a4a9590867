"""`python -m serving ...`: the model server (see serving/server.py)."""

import sys

from serving.server import main

sys.exit(main())
