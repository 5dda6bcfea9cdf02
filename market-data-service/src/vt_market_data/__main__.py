"""Run the market data service: `python -m vt_market_data`."""

from vt_kit.serve import serve
from vt_market_data.app import create_app
from vt_market_data.settings import Settings

settings = Settings()
serve(create_app(settings), settings)
