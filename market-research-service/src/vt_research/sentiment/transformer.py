"""Transformer sentiment from a local model directory (e.g. FinBERT), through `transformers`.

Optional: install the `transformers` extra and a PyTorch build (CPU is enough). Nothing is
fetched at run time: `HF_HUB_OFFLINE=1` and `local_files_only=True`.

Two kinds of model directory work:
* a sequence classifier (`*ForSequenceClassification`, e.g. ProsusAI/finbert): the score is
  P(positive) - P(negative) from the labels in `config.id2label`;
* a sentence-embedding model (e.g. all-MiniLM-L6-v2): zero-shot against anchor sentences, the
  score is P(bullish) - P(bearish) from a softmax over the cosine similarity to the (normalised)
  mean embedding of the bullish and of the bearish anchors, with temperature 0.05.
"""

from __future__ import annotations

import os
import threading
from pathlib import Path
from typing import Any

from vt_research.sentiment.base import SentimentUnavailable

BULLISH_ANCHORS = [
    "Shares surge after the company beats earnings expectations and raises guidance.",
    "Stock rallies to a record high on strong demand and rising profits.",
    "Analysts upgrade the stock as revenue growth accelerates.",
    "The market climbs as investors cheer upbeat economic data.",
]
BEARISH_ANCHORS = [
    "Shares plunge after the company misses earnings and cuts guidance.",
    "Stock tumbles to a multi-year low on weak demand and falling profits.",
    "Analysts downgrade the stock as losses widen and debt mounts.",
    "The market sinks as investors fear a recession and layoffs.",
]
TEMPERATURE = 0.05


def transformers_available() -> str | None:
    """None when torch and transformers import; else the reason they do not."""
    try:
        import torch  # noqa: F401
    except ImportError:
        return "PyTorch is not installed (pip install torch==2.13.0 or a CPU build)"
    try:
        import transformers  # noqa: F401
    except ImportError:
        return "transformers is not installed (install vt-research[transformers])"
    return None


class TransformerModel:
    """Local-directory transformer; loads once, scores batches on the CPU."""

    name = "transformers"

    def __init__(self, model_dir: Path, batch_size: int = 16) -> None:
        self.model_dir = model_dir
        self.batch_size = batch_size
        self.mode: str | None = None
        self._lock = threading.Lock()
        self._tokenizer: Any = None
        self._model: Any = None
        self._labels: tuple[int, int] | None = None
        self._anchors: Any = None

    def _load(self) -> None:
        with self._lock:
            if self._model is not None:
                return
            if not (self.model_dir / "config.json").is_file():
                raise SentimentUnavailable(
                    f"VT_SENTIMENT_MODEL_DIR={self.model_dir} has no config.json; point it at a local model folder"
                )
            reason = transformers_available()
            if reason:
                raise SentimentUnavailable(reason)
            os.environ.setdefault("HF_HUB_OFFLINE", "1")
            os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
            import transformers

            hf_logging: Any = transformers.logging
            hf_logging.set_verbosity_error()
            hf_logging.disable_progress_bar()
            config = transformers.AutoConfig.from_pretrained(self.model_dir, local_files_only=True)
            tokenizer = transformers.AutoTokenizer.from_pretrained(
                self.model_dir, local_files_only=True
            )
            archs = config.architectures or []
            if any(a.endswith("ForSequenceClassification") for a in archs):
                labels = {int(k): str(v).lower() for k, v in config.id2label.items()}
                pos = next((i for i, n in labels.items() if n.startswith("pos")), None)
                neg = next((i for i, n in labels.items() if n.startswith("neg")), None)
                if pos is None or neg is None:
                    raise SentimentUnavailable(
                        f"the classifier in {self.model_dir} has labels {sorted(labels.values())}; "
                        "it needs a 'positive' and a 'negative' label"
                    )
                model = transformers.AutoModelForSequenceClassification.from_pretrained(
                    self.model_dir, local_files_only=True
                )
                self._labels = (pos, neg)
                self.mode = "classifier"
            else:
                model = transformers.AutoModel.from_pretrained(
                    self.model_dir, local_files_only=True
                )
                self.mode = "embedding_zero_shot"
            model.eval()
            self._tokenizer = tokenizer
            self._model = model
            if self.mode == "embedding_zero_shot":
                import torch

                self._anchors = tuple(
                    torch.nn.functional.normalize(self._embed(a).mean(dim=0), p=2, dim=0)
                    for a in (BULLISH_ANCHORS, BEARISH_ANCHORS)
                )

    def _embed(self, texts: list[str]) -> Any:
        import torch

        enc = self._tokenizer(
            texts, padding=True, truncation=True, max_length=128, return_tensors="pt"
        )
        with torch.no_grad():
            out = self._model(**enc).last_hidden_state
        mask = enc["attention_mask"].unsqueeze(-1).to(out.dtype)
        pooled = (out * mask).sum(dim=1) / mask.sum(dim=1).clamp(min=1e-9)
        return torch.nn.functional.normalize(pooled, p=2, dim=1)

    def score(self, texts: list[str]) -> list[float]:
        self._load()
        import torch

        scores: list[float] = []
        for i in range(0, len(texts), self.batch_size):
            batch = texts[i : i + self.batch_size]
            if self.mode == "classifier":
                assert self._labels is not None
                enc = self._tokenizer(
                    batch, padding=True, truncation=True, max_length=128, return_tensors="pt"
                )
                with torch.no_grad():
                    probs = torch.softmax(self._model(**enc).logits, dim=-1)
                pos, neg = self._labels
                scores.extend((probs[:, pos] - probs[:, neg]).tolist())
            else:
                emb = self._embed(batch)
                bull, bear = self._anchors
                sims = torch.stack([emb @ bull, emb @ bear], dim=1) / TEMPERATURE
                probs = torch.softmax(sims, dim=1)
                scores.extend((probs[:, 0] - probs[:, 1]).tolist())
        return [max(-1.0, min(1.0, float(s))) for s in scores]
