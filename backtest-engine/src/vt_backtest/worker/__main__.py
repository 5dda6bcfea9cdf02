"""`python -m vt_backtest.worker`: the pre-forking worker master."""

import sys

from vt_backtest.worker.master import main

sys.exit(main())
