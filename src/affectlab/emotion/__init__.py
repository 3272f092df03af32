"""Emotion scoring (7 classes) and the SFT-audit emotion report (family A; the scorer is reused by C)."""
from affectlab.emotion.parts import PARTS, score_parts
from affectlab.emotion.scorers import EMOTIONS, Scorer, make_scorer, plutchik_to_emotions
from affectlab.emotion.settings import EmotionSettings

__all__ = ["EMOTIONS", "PARTS", "EmotionSettings", "Scorer", "make_scorer", "plutchik_to_emotions", "score_parts"]
