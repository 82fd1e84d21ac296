"""``python -m hwb_action``."""

import sys

from hwb_action.cli import main

sys.exit(main())
