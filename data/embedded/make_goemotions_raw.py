"""Write the embedded mirror of GoEmotions' `raw` config (one row per rater judgement) for family D.

    python data/embedded/make_goemotions_raw.py     # rewrites data/embedded/go_emotions_raw/

Deterministic (one seeded random.Random): the same script writes byte-identical files. Layout and columns of
`google-research-datasets/go_emotions` config `raw`: `raw/train-00000-of-00001.parquet` (the hub has one
`train` split) with text, id, author, subreddit, link_id, parent_id, created_utc, rater_id,
example_very_unclear and one 0/1 int column per label (admiration ... neutral).

Texts are Reddit-style comments composed from a cue clause of one of the 28 labels, a topic and a frame, so
a label is consistent with its words. What the cleaning stage must handle is written in on purpose:
raters who disagree (another label of the same Ekman group, neutral, or a random one; sometimes two labels),
`example_very_unclear` rows with no label, exact and normalised duplicates under new ids, URL / spam texts,
one- or two-word texts, off-label items (every rater gives a label of another Ekman group: embedding
outliers) and texts with no emotional content that raters labelled with an emotion.
"""
from __future__ import annotations

import random
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

OUT = Path(__file__).resolve().parent / "go_emotions_raw"
N_TEXTS = 1500
SEED = 20260
LABELS = ("admiration", "amusement", "anger", "annoyance", "approval", "caring", "confusion", "curiosity",
          "desire", "disappointment", "disapproval", "disgust", "embarrassment", "excitement", "fear",
          "gratitude", "grief", "joy", "love", "nervousness", "optimism", "pride", "realization", "relief",
          "remorse", "sadness", "surprise", "neutral")
EKMAN = {"anger": ["anger", "annoyance", "disapproval"], "disgust": ["disgust"], "fear": ["fear", "nervousness"],
         "joy": ["joy", "amusement", "approval", "excitement", "gratitude", "love", "optimism", "relief", "pride",
                 "admiration", "desire", "caring"],
         "sadness": ["sadness", "disappointment", "embarrassment", "grief", "remorse"],
         "surprise": ["surprise", "realization", "confusion", "curiosity"], "neutral": ["neutral"]}
# share of texts per Ekman group (GoEmotions is neutral- and joy-heavy; the small groups still reach
# >= 15 test rows after cleaning)
GROUP_SHARE = {"neutral": 0.24, "joy": 0.2, "anger": 0.11, "sadness": 0.11, "surprise": 0.11, "fear": 0.115,
               "disgust": 0.115}
CUES = {
    "admiration": ["that is honestly impressive", "what a brilliant play", "you handled that beautifully",
                   "such amazing work"],
    "amusement": ["lol this made me laugh", "haha that is hilarious", "I'm dying, this is so funny"],
    "anger": ["this makes me furious", "I'm so angry right now", "I am absolutely livid", "this is outrageous"],
    "annoyance": ["ugh this is so annoying", "I'm sick of hearing about it", "so irritating"],
    "approval": ["yes, I agree with that", "good call", "this is the right decision"],
    "caring": ["take care of yourself", "I hope you feel better soon", "sending you support"],
    "confusion": ["I don't understand what happened", "wait, what does that even mean", "I'm confused"],
    "curiosity": ["I wonder how that works", "what made you choose that", "can you tell me more"],
    "desire": ["I really want one", "I wish I could go", "I would love to have that"],
    "disappointment": ["what a letdown", "I expected so much more", "kind of disappointing"],
    "disapproval": ["that is not okay", "I don't think that's right", "this is a bad idea"],
    "disgust": ["that is disgusting", "gross, I feel sick", "this is revolting", "so nasty and vile",
                "ew, that is foul"],
    "embarrassment": ["I'm so embarrassed", "that was awkward for me", "I wanted to hide"],
    "excitement": ["I can't wait", "this is so exciting", "so hyped"],
    "fear": ["I'm terrified", "this is so scary", "I'm afraid something bad will happen", "that frightens me"],
    "gratitude": ["thank you so much", "thanks for sharing", "I really appreciate it"],
    "grief": ["I miss her every day since she passed", "rest in peace", "we lost him last week"],
    "joy": ["I'm so happy", "this made my day", "feeling great", "so glad and cheerful"],
    "love": ["I love this", "I adore it", "love you all"],
    "nervousness": ["I'm so nervous", "my hands are shaking", "I'm anxious and worried"],
    "optimism": ["I hope it works out", "things will get better", "fingers crossed"],
    "pride": ["I'm so proud", "we finally did it", "proud moment"],
    "realization": ["oh, now I get it", "I just realized", "turns out I was wrong"],
    "relief": ["what a relief", "phew, glad that's over", "so relieved"],
    "remorse": ["I'm sorry", "I regret it", "my bad, I shouldn't have"],
    "sadness": ["this makes me sad", "I feel so down", "heartbreaking to see", "I cried all night"],
    "surprise": ["wow, I didn't expect that", "no way, really", "I'm shocked", "what a surprise"],
    "neutral": ["the game starts at eight", "it was posted in the other thread", "it depends on the settings",
                "the store opens on monday", "he plays left back now", "the patch is 2 gigs"],
}
TOPICS = ["the new update", "this season", "the ref's call", "my landlord", "the last episode", "that trade",
          "the patch notes", "my sister's wedding", "the exam results", "the playoffs", "the new coach",
          "my cat", "the concert", "this thread", "the finale", "my job", "the draft", "the sequel", "[NAME]",
          "the weather", "the recipe", "the election", "my neighbour", "the trailer"]
FRAMES = ["{cue} about {topic}.", "{Topic}? {cue}.", "Honestly, {cue}. {Topic} again.", "[NAME] told me about "
          "{topic} and {cue}.", "{cue}! {Topic} is all anyone talks about.", "So {topic} happened. {cue}.",
          "{cue}, especially {topic}.", "Reading about {topic}... {cue}."]
SHORT = ["lol", "Yes.", "[NAME]", "This.", "ok", "Same", "Wow"]
SPAM = ["Check this out https://bit.ly/{n} free stuff", "{cue} http://www.reddit.com/r/pics/comments/{n}",
        "Click here www.win-prizes-{n}.com to win"]
SUBREDDITS = ["AskReddit", "nba", "movies", "gaming", "relationships", "soccer", "todayilearned", "cooking"]
N_RATERS = 82


def group_of(label: str) -> str:
    return next(g for g, members in EKMAN.items() if label in members)


def compose(rng: random.Random, label: str) -> str:
    cue, topic = rng.choice(CUES[label]), rng.choice(TOPICS)
    text = rng.choice(FRAMES).format(cue=cue, topic=topic, Topic=topic[0].upper() + topic[1:])
    return text[0].upper() + text[1:]


def rater_labels(rng: random.Random, gold: str) -> list[str]:
    """One rater's labels: mostly the gold one, else a sibling in its group, neutral or anything."""
    r = rng.random()
    if r < 0.72:
        labels = [gold]
    elif r < 0.84:
        labels = [rng.choice(EKMAN[group_of(gold)])]
    elif r < 0.93:
        labels = ["neutral"]
    else:
        labels = [rng.choice(LABELS)]
    if rng.random() < 0.08:
        labels.append(rng.choice(LABELS))
    return sorted(set(labels))


def main() -> None:
    rng = random.Random(SEED)
    groups, weights = zip(*GROUP_SHARE.items())
    items = []  # (text, gold label for the raters, kind)
    for _ in range(N_TEXTS):
        label = rng.choice(EKMAN[rng.choices(groups, weights)[0]])
        text = compose(rng, label)
        r = rng.random()
        if r < 0.03:      # off-label: the text of one group, the raters agree on another
            other = rng.choice([g for g in EKMAN if g not in (group_of(label), "neutral")])
            items.append((text, rng.choice(EKMAN[other]), "off_label"))
        elif r < 0.05:    # no emotional content, labelled with an emotion
            items.append((compose(rng, "neutral"), rng.choice(["joy", "anger", "sadness"]), "no_emotion"))
        elif r < 0.07:
            items.append((rng.choice(SPAM).format(n=rng.randrange(10**5), cue=rng.choice(CUES[label])), label, "url"))
        elif r < 0.09:
            items.append((rng.choice(SHORT), label, "short"))
        else:
            items.append((text, label, "plain"))
    for text, label, kind in list(items[:90]):  # duplicates under new ids: exact, and differing in case/punct.
        if kind == "plain":
            items.append((text if rng.random() < 0.5 else text.upper().replace(".", "!!"), label, "duplicate"))
    columns: dict[str, list] = {c: [] for c in ("text", "id", "author", "subreddit", "link_id", "parent_id",
                                                "created_utc", "rater_id", "example_very_unclear", *LABELS)}
    for i, (text, gold, kind) in enumerate(items):
        raters = rng.sample(range(N_RATERS), rng.choice([3, 3, 3, 3, 3, 3, 3, 2, 4, 5]))
        meta = {"text": text, "id": f"e{i:05x}{rng.randrange(16**3):03x}", "author": f"user_{rng.randrange(9000)}",
                "subreddit": rng.choice(SUBREDDITS), "link_id": f"t3_{rng.randrange(36**5):x}",
                "parent_id": f"t1_{rng.randrange(36**6):x}",
                "created_utc": float(1_546_300_800 + rng.randrange(31_536_000))}
        for rater in raters:
            unclear = rng.random() < 0.03
            labels = [] if unclear else ([gold] if kind in ("off_label", "no_emotion") else rater_labels(rng, gold))
            row = {**meta, "rater_id": rater, "example_very_unclear": unclear,
                   **{name: int(name in labels) for name in LABELS}}
            for key, value in row.items():
                columns[key].append(value)
    schema = pa.schema([("text", pa.string()), ("id", pa.string()), ("author", pa.string()),
                        ("subreddit", pa.string()), ("link_id", pa.string()), ("parent_id", pa.string()),
                        ("created_utc", pa.float32()), ("rater_id", pa.int32()),
                        ("example_very_unclear", pa.bool_()), *((name, pa.int32()) for name in LABELS)])
    (OUT / "raw").mkdir(parents=True, exist_ok=True)
    pq.write_table(pa.table(columns, schema=schema), OUT / "raw" / "train-00000-of-00001.parquet")
    (OUT / "README.md").write_text(README)
    print(f"{len(columns['id'])} rater rows, {len(items)} texts -> {OUT}")


README = """---
configs:
- config_name: raw
  data_files:
  - split: train
    path: raw/train-*
---
# GoEmotions (embedded mirror, raw config)

Written by `data/embedded/make_goemotions_raw.py`: the file layout and columns of
`google-research-datasets/go_emotions` config `raw` (one row per rater judgement), composed texts with rater
disagreement, very-unclear rows, duplicates, URLs, short and off-label texts. Not real Reddit data.
"""

if __name__ == "__main__":
    main()
