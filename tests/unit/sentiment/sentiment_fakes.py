import re

from affectlab.sentiment.settings import SentimentSettings
from repo_params import settings

TOPICS = ["the garden", "a train", "my exam", "a letter"]


def make_settings(**overrides) -> SentimentSettings:
    return settings(SentimentSettings, {
        "per_class": 10, "seed": 3, "backend": "transformers", "topics_file": "unused",
        "prompt": "Say how {topic} fills you with {emotion}.",
        "sub_emotions": {"positive": ["joy", "pride"], "negative": ["anger", "fear"]}, "batch_size": 8,
        "max_generations": 400, "decoding.max_new_tokens": 20, "filters.min_words": 3, "filters.max_words": 12,
        "filters.near_duplicate": "normalized", **overrides})


class FakeBackend:
    """Deterministic replies from (prompt, seed, slot), with a known mix of bad ones."""
    name = "fake"

    def __init__(self):
        self.seeds, self.calls = [], 0

    def __call__(self, prompts, seed):
        self.calls += 1
        self.seeds.append(seed)
        return [reply(p, seed, i) for i, p in enumerate(prompts)]


def reply(prompt: str, seed: int, i: int) -> str:
    emotion = re.search(r"with (\w+)\.", prompt).group(1)
    good = emotion in ("joy", "pride")
    n = (seed * 31 + i) % 100_000
    if i % 7 == 3:
        return ""
    if i % 7 == 5:
        return "I feel " + "very " * 20 + "good."
    if i % 7 == 6:
        good = not good  # the model missed the sentiment: VADER must catch it
    if i % 5 == 4:
        return "I feel wonderful today." if good else "I feel terrible today."  # repeats across rounds
    return f"I feel {'wonderful and happy' if good else 'terrible and sad'} about number {n}."

