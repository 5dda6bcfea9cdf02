"""Run the backtest engine service: `python -m vt_backtest`."""

from vt_backtest.app import create_app
from vt_backtest.settings import Settings
from vt_kit.serve import serve

settings = Settings()
serve(create_app(settings), settings)
