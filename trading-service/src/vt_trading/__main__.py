"""Run the trading service: `python -m vt_trading` (environment fixed by TRADING_ENVIRONMENT)."""

from vt_kit.serve import serve
from vt_trading.app import create_app
from vt_trading.settings import Settings

settings = Settings()
serve(create_app(settings), settings)
