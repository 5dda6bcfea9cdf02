"""Run the market research service: `python -m vt_research`."""

from vt_kit.serve import serve
from vt_research.app import create_app
from vt_research.settings import Settings

settings = Settings()
serve(create_app(settings), settings)
