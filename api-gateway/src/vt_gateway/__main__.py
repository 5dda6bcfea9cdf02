"""Run the API gateway service: `python -m vt_gateway`."""

from vt_gateway.app import create_app
from vt_gateway.settings import Settings
from vt_kit.serve import serve

settings = Settings()
serve(create_app(settings), settings)
