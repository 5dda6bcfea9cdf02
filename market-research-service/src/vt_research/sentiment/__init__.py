"""Pluggable headline sentiment: a finance lexicon model by default, a local transformer on demand."""

from vt_research.sentiment.base import SentimentModel, SentimentUnavailable

__all__ = ["SentimentModel", "SentimentUnavailable"]
