"""FinVADER: NLTK's VADER with the SentiBigNomics and Henry (2008) finance lexicons.

The `finvader` package calls `nltk.download('vader_lexicon')` when imported, which needs the
internet (and blocks ~10 s when it is absent). So this module never imports the package itself: it
loads finvader's two lexicon modules from their files, builds NLTK's `vader_lexicon.zip` from the
copy bundled in `vaderSentiment` into a local folder (no download), and assembles the analyser
exactly as `finvader.finvader(text, use_sentibignomics=True, use_henry=True, indicator="compound")`
does, once, instead of once per headline.
"""

from __future__ import annotations

import importlib.util
import threading
import zipfile
from pathlib import Path
from types import ModuleType
from typing import Any

from vt_research.sentiment.base import SentimentUnavailable

SENTIBIGNOMICS_WEIGHT = 0.1  # finvader's constant for the SentiBigNomics lexicon
_LOCK = threading.Lock()
_ANALYSERS: dict[Path, Any] = {}  # one analyser per lexicon folder per process (read-only use)


def _load_submodule(package: str, name: str) -> ModuleType:
    spec = importlib.util.find_spec(package)
    if spec is None or not spec.submodule_search_locations:
        raise SentimentUnavailable(f"the '{package}' package is not installed")
    path = Path(next(iter(spec.submodule_search_locations))) / f"{name}.py"
    sub = importlib.util.spec_from_file_location(f"_vt_{package}_{name}", path)
    if sub is None or sub.loader is None:
        raise SentimentUnavailable(f"{path} cannot be loaded")
    module = importlib.util.module_from_spec(sub)
    sub.loader.exec_module(module)
    return module


def ensure_vader_lexicon(nltk_dir: Path) -> Path:
    """Build `<nltk_dir>/sentiment/vader_lexicon.zip` from vaderSentiment's bundled lexicon."""
    target = nltk_dir / "sentiment" / "vader_lexicon.zip"
    if target.exists():
        return target
    spec = importlib.util.find_spec("vaderSentiment")
    if spec is None or not spec.submodule_search_locations:
        raise SentimentUnavailable(
            "the 'vaderSentiment' package (source of the lexicon) is missing"
        )
    source = Path(next(iter(spec.submodule_search_locations))) / "vader_lexicon.txt"
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = target.with_suffix(".zip.tmp")
    with zipfile.ZipFile(tmp, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.write(source, "vader_lexicon/vader_lexicon.txt")
    tmp.replace(target)
    return target


class FinVaderModel:
    """Compound VADER score with finance lexicons; deterministic and offline."""

    name = "finvader"

    def __init__(self, nltk_dir: Path) -> None:
        self.nltk_dir = nltk_dir.resolve()
        self._analyser: Any = None

    def _build(self) -> Any:
        with _LOCK:
            if self._analyser is not None:
                return self._analyser
            cached = _ANALYSERS.get(self.nltk_dir)
            if cached is not None:
                self._analyser = cached
                return cached
            zip_path = ensure_vader_lexicon(self.nltk_dir)
            try:
                from nltk.sentiment.vader import SentimentIntensityAnalyzer
            except ImportError as exc:  # pragma: no cover - nltk is a dependency
                raise SentimentUnavailable("nltk is not installed") from exc
            senti = _load_submodule("finvader", "SentiBignomics").lexicon1()
            henry = _load_submodule("finvader", "Henry").lexicon2()
            senti = {k: v * SENTIBIGNOMICS_WEIGHT for k, v in senti.items()}
            analyser = SentimentIntensityAnalyzer(
                lexicon_file=f"file:{zip_path.parent.parent}/sentiment/vader_lexicon.zip/vader_lexicon/vader_lexicon.txt"
            )
            analyser.lexicon.update({**senti, **henry})
            _ANALYSERS[self.nltk_dir] = analyser
            self._analyser = analyser
            return analyser

    def score(self, texts: list[str]) -> list[float]:
        analyser = self._build()
        return [float(analyser.polarity_scores(t)["compound"]) if t.strip() else 0.0 for t in texts]
