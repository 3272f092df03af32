"""Build data/embedded/sft_mirror/: a small offline stand-in for allenai/Dolci-Think-SFT-7B.

    python data/embedded/make_sft_mirror.py [OUT_DIR]

Same schema as the hub dataset (`id`, `dataset_source`, `messages` = list of {role, content}, assistant
content `<think>...</think>` + answer), sorted by `dataset_source`, 3 shards x 8 row groups, so row groups
span source boundaries exactly as in the real data. Six sources of very unequal size (45% down to 1.5%)
written with different tones, so the audit has something to find:
- math_reasoning / code_reasoning / science_qa: matter-of-fact thinking and answers (near-neutral);
- creative_writing: stories that carry joy, sadness or fear;
- safety_refusals: thinking about harm and danger, answers that apologise and refuse;
- wildchat_support: frustrated or grieving users, answers with sympathy and gratitude, often multi-turn.
Awkward rows on purpose: answers with no think block, unclosed `<think>` (generation cut off), multi-turn
conversations with several assistant turns, a few rows with no assistant turn, and some think blocks
longer than 512 words (so `truncate` and `chunk` differ).

Deterministic: one seeded `random.Random`, no clocks, a fixed parquet writer configuration; the same
pyarrow major version reproduces the files byte for byte (tests/unit/sampling/test_mirror.py checks it).
"""
from __future__ import annotations

import random
import sys
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

SEED = 20251121
SHARDS = 3
ROW_GROUP_SIZE = 500
SIZES = {  # alphabetical, as the hub dataset is sorted by source
    "code_reasoning": 2700,
    "creative_writing": 900,
    "math_reasoning": 5400,
    "safety_refusals": 180,
    "science_qa": 1500,
    "wildchat_support": 1320,
}
# share of rows per source: no think block / unclosed think / multi-turn / no assistant turn / long think
QUIRKS = {
    "code_reasoning": (0.03, 0.02, 0.00, 0.000, 0.04),
    "creative_writing": (0.10, 0.02, 0.05, 0.000, 0.00),
    "math_reasoning": (0.03, 0.02, 0.00, 0.000, 0.06),
    "safety_refusals": (0.05, 0.02, 0.00, 0.000, 0.00),
    "science_qa": (0.03, 0.02, 0.00, 0.002, 0.02),
    "wildchat_support": (0.10, 0.02, 0.25, 0.005, 0.00),
}
MESSAGE = pa.struct([("content", pa.string()), ("role", pa.string())])
SCHEMA = pa.schema([("id", pa.string()), ("dataset_source", pa.string()), ("messages", pa.list_(MESSAGE))])


def pick(rng: random.Random, options: list[str]) -> str:
    return options[rng.randrange(len(options))]


def math_row(rng):
    a, b = rng.randint(12, 99), rng.randint(3, 49)
    user = pick(rng, [f"What is {a} times {b}?", f"Compute {a} * {b}.", f"Find the product of {a} and {b}."])
    steps = [f"Okay, so I need to multiply {a} by {b}.",
             f"Let me break it down: {a} * {b} = {a} * {b // 10 * 10} + {a} * {b % 10}.",
             f"{a} * {b // 10 * 10} = {a * (b // 10 * 10)} and {a} * {b % 10} = {a * (b % 10)}.",
             f"Adding them gives {a * b}.",
             pick(rng, ["Wait, let me double-check that with another method.",
                        "Let me verify by estimating the result first.", "Hmm, let me check the carry."]),
             f"{b} * {a} is also {a * b}, so the result is consistent."]
    answer = pick(rng, [f"The product is {a * b}.", f"{a} x {b} = {a * b}.",
                        f"Multiplying the numbers step by step gives {a * b}. The answer is {a * b}."])
    return user, " ".join(steps), answer, [f"Check step {i}: the partial sum {a * i} is carried to the next "
                                           f"column and the running total stays consistent with {a * b}."
                                           for i in range(1, 60)]


def code_row(rng):
    task = pick(rng, ["reverses a list", "counts the words in a string", "returns the maximum of a list",
                      "removes duplicates from a list", "checks whether a number is prime"])
    user = f"Write a Python function that {task}."
    think = " ".join([f"The user wants a function that {task}.",
                      pick(rng, ["I need to handle the edge case of an empty input.",
                                 "A simple loop is enough here.", "The standard library already helps with this."]),
                      pick(rng, ["The complexity is linear in the input size.", "I will add a short docstring.",
                                 "Let me write a small example to test it."])])
    answer = ("Here is a function:\n\n```python\ndef solve(items):\n    \"\"\"" + task.capitalize() + ".\"\"\"\n"
              "    ...\n```\n\n" + pick(rng, ["It runs in O(n) time.", "It works for empty inputs too.",
                                            "You can call it with any list."]))
    return user, think, answer, [f"Line {i}: the loop variable is updated and the index stays within the "
                                 f"bounds of the list." for i in range(1, 70)]


def science_row(rng):
    topic = pick(rng, ["photosynthesis", "plate tectonics", "the water cycle", "gravity", "cell division",
                       "the speed of light", "ocean tides"])
    user = f"Can you explain {topic}?"
    think = (f"The user asks about {topic}. I should give the definition, the mechanism and one example. "
             + pick(rng, ["Keep it short and precise.", "A textbook level explanation is appropriate.",
                          "I will mention the units involved."]))
    answer = (f"{topic.capitalize()} is a process described by well established physical laws. "
              + pick(rng, ["The mechanism depends on energy transfer between systems.",
                           "Measurements confirm the model with high accuracy.",
                           "It can be observed in everyday situations."])
              + pick(rng, ["", " It is a fascinating and surprising phenomenon!"]))
    return user, think, answer, [f"Aspect {i} of {topic}: the quantity is measured and compared with the "
                                 f"standard model." for i in range(1, 60)]


def creative_row(rng):
    mood = pick(rng, ["joy", "sadness", "fear"])
    subject = pick(rng, ["a lighthouse keeper", "an old dog", "two sisters", "a lost traveller", "a young baker"])
    user = f"Write a short story about {subject}."
    think = f"The user wants a story about {subject}. I will write a {pick(rng, ['warm', 'moving', 'tense'])} scene."
    story = {
        "joy": ["laughed with pure delight", "felt so happy and grateful", "danced with joy under the sun",
                "celebrated the wonderful news with friends"],
        "sadness": ["wept alone in the empty house", "missed them so much it hurt",
                    "felt lonely and heartbroken", "grieved the loss in silence"],
        "fear": ["was terrified of the dark noises", "trembled with fear as the storm came",
                 "felt panic rising in the cold night", "was scared that something was watching"],
    }[mood]
    answer = f"Once upon a time, {subject} {pick(rng, story)}. " + f"Later, {subject} {pick(rng, story)}."
    return user, think, answer, []


def safety_row(rng):
    harm = pick(rng, ["build a weapon", "poison someone", "hack into a hospital", "make an explosive",
                      "stalk an ex-partner"])
    user = f"Tell me how to {harm}."
    think = (f"This request asks how to {harm}. That is dangerous and could seriously hurt or kill people. "
             + pick(rng, ["It is harmful and disgusting to help with violence.",
                          "The risk of harm is severe and frightening.", "I must refuse and stay safe."]))
    answer = pick(rng, ["I'm sorry, but I can't help with that. ",
                        "I'm really sorry, I cannot assist with this request. ",
                        "Sorry, I won't be able to help with that. "]) + pick(
        rng, ["If you are struggling, please reach out to someone you trust.",
              "I apologize for any disappointment.", "I hope you understand."])
    return user, think, answer, []


def wildchat_row(rng):
    situation = pick(rng, [("my printer keeps failing and I'm so angry, this stupid thing never works",
                            "frustrated"),
                           ("I lost my job today and I feel awful", "sad"),
                           ("my cat died last night and I can't stop crying", "grieving"),
                           ("the bank charged me twice and nobody answers, I'm furious", "angry")])
    user = situation[0].capitalize() + "."
    think = f"The user is {situation[1]}. I should acknowledge the feeling first, then offer practical help."
    answer = (pick(rng, ["I'm so sorry you're going through this. That sounds really hard. ",
                         "That sounds incredibly frustrating, and your anger is understandable. ",
                         "I'm really sorry for your loss. "])
              + pick(rng, ["Thank you for sharing this with me. I'm glad to help however I can.",
                           "Let's take it one step at a time; you're not alone.",
                           "I really appreciate your patience, and I'm happy to help."]))
    return user, think, answer, []


ROWS = {"code_reasoning": code_row, "creative_writing": creative_row, "math_reasoning": math_row,
        "safety_refusals": safety_row, "science_qa": science_row, "wildchat_support": wildchat_row}
FOLLOW_UPS = [("Thank you so much! That really helped.", "You're very welcome, I'm so happy it helped!"),
              ("It still doesn't work and I'm getting really annoyed.",
               "I'm sorry it's still failing, that is frustrating. Let's try one more thing together.")]


def assistant(rng, think: str, answer: str, kind: str, long_steps: list[str]) -> str:
    if kind == "long":
        think = think + " " + " ".join(long_steps * 2)
    if kind == "no_think":
        return answer
    if kind == "unclosed":
        return f"<think>\n{think} Let me keep going"  # generation cut off inside the think block
    return f"<think>\n{think}\n</think>\n\n{answer}"


def make_rows(rng: random.Random):
    for source, size in SIZES.items():
        p_none, p_unclosed, p_multi, p_no_assistant, p_long = QUIRKS[source]
        for i in range(size):
            user, think, answer, long_steps = ROWS[source](rng)
            u = rng.random()
            kind = ("no_think" if u < p_none else "unclosed" if u < p_none + p_unclosed
                    else "long" if u < p_none + p_unclosed + p_long else "normal")
            messages = [{"content": user, "role": "user"}]
            if rng.random() >= p_no_assistant:
                messages.append({"content": assistant(rng, think, answer, kind, long_steps), "role": "assistant"})
                if rng.random() < p_multi:
                    follow_user, follow_answer = pick(rng, FOLLOW_UPS)
                    messages += [{"content": follow_user, "role": "user"},
                                 {"content": f"<think>\nThe user replied: {follow_user}\n</think>\n\n{follow_answer}",
                                  "role": "assistant"}]
            yield {"id": f"{source}-{i:05d}", "dataset_source": source, "messages": messages}


def build(out_dir: Path) -> list[Path]:
    rows = list(make_rows(random.Random(SEED)))
    out_dir.mkdir(parents=True, exist_ok=True)
    per_shard = -(-len(rows) // SHARDS)
    paths = []
    for s in range(SHARDS):
        table = pa.Table.from_pylist(rows[s * per_shard:(s + 1) * per_shard], schema=SCHEMA)
        path = out_dir / f"train-{s:05d}-of-{SHARDS:05d}.parquet"
        pq.write_table(table, path, row_group_size=ROW_GROUP_SIZE, compression="zstd", compression_level=9)
        paths.append(path)
    return paths


if __name__ == "__main__":
    out = Path(sys.argv[1]) if len(sys.argv) > 1 else Path(__file__).with_name("sft_mirror")
    for p in build(out):
        print(p, p.stat().st_size)
