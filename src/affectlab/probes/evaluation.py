"""Test-set scores of the probes and of the lexical baselines they are compared with."""
from __future__ import annotations

import numpy as np


def binary_scores(y: np.ndarray, score: np.ndarray, threshold: float) -> dict[str, float]:
    """AUC-ROC and AUC-PR of a continuous score; F1 and accuracy of `score >= threshold`."""
    from sklearn.metrics import accuracy_score, average_precision_score, f1_score, roc_auc_score

    pred = (score >= threshold).astype(int)
    return {"auc_roc": float(roc_auc_score(y, score)), "auc_pr": float(average_precision_score(y, score)),
            "f1": float(f1_score(y, pred, zero_division=0)), "accuracy": float(accuracy_score(y, pred))}


def vader_compound(texts) -> np.ndarray:
    from affectlab.lexical import Vader

    vader = Vader()
    return np.array([vader.compound(t) for t in texts])


def vader_baseline(texts_test, y_test: np.ndarray) -> dict[str, float]:
    """VADER compound as the score, positive when compound > 0. The generation filter already gates
    on VADER, so on generated data this baseline is strong by construction."""
    return binary_scores(y_test, vader_compound(texts_test), threshold=1e-9)


def fit_bow(texts_train, y_train: np.ndarray, c: float, seed: int):
    """Bag-of-words (unigrams + bigrams) logistic regression trained on the probe's train split; scored on
    the test split and, unchanged, on the held-out sets."""
    from sklearn.feature_extraction.text import CountVectorizer
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline

    clf = make_pipeline(CountVectorizer(ngram_range=(1, 2), lowercase=True),
                        LogisticRegression(C=c, max_iter=2000, random_state=seed))
    return clf.fit(list(texts_train), y_train)


def bow_scores(bow, texts, y: np.ndarray) -> dict[str, float]:
    return binary_scores(y, bow.predict_proba(list(texts))[:, 1], threshold=0.5)
