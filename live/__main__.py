"""`python -m continuo.live` runs the `continuo` command."""

import sys

from continuo.live.cli import main

sys.exit(main())
