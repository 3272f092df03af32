"""Lexical sentiment: the VADER compound score (lexicon shipped inside the vaderSentiment wheel).
Used as a generation filter (family B data) and as a baseline for the probes."""
from __future__ import annotations


class Vader:
    def __init__(self) -> None:
        from vaderSentiment.vaderSentiment import SentimentIntensityAnalyzer
        self._analyzer = SentimentIntensityAnalyzer()

    def compound(self, text: str) -> float:
        """In [-1, 1]; >= 0.05 is conventionally positive, <= -0.05 negative."""
        return float(self._analyzer.polarity_scores(text)["compound"])
