"""Run the strategy AI worker service: `python -m vt_strategy_ai`."""

from vt_kit.serve import serve
from vt_strategy_ai.app import create_app
from vt_strategy_ai.settings import Settings

settings = Settings()
serve(create_app(settings), settings)
