"""Write the embedded inputs of family E (affect dataset), deterministically: `python data/embedded/make_affect.py`.

Everything here is written for this project (no external text):
- affect/baseline.jsonl: the team's current dataset in miniature, with the same skew as run002 + GoEmotions
  (positive mean valence, high intimacy and tension, no row with intimacy <= -0.1, warmth-centric tags);
- affect/transcripts/sessions.chat.jsonl (interaction log) and affect/transcripts/head.affect.jsonl (raw
  affect-head log): the two transcript formats the harvest scans (README, family E);
- affect/mapping.yaml: GoEmotions label combination -> archetype (with priors), transcript tag -> archetype;
- affect/scenarios/<archetype>.yaml: 3-4 scenario scripts per archetype for synthetic dialogues;
- affect/labels/*.jsonl: three labeling sessions over harvested candidates (transcripts, GoEmotions, and
  synthetic utterances of an earlier scenario run), as `python -m affectlab.affect label` writes them,
  including a repeated text and two conflicting labels.
Values: each utterance family has an archetype centre plus per-phrase offsets and rater noise, so the axes
follow the words (a regressor has something to learn) without being a lookup table.
"""
from __future__ import annotations

import json
import random
from pathlib import Path

import pyarrow.parquet as pq

ROOT = Path(__file__).resolve().parent / "affect"
GO = Path(__file__).resolve().parent / "go_emotions" / "simplified"
GO_EMOTIONS = ("admiration", "amusement", "anger", "annoyance", "approval", "caring", "confusion", "curiosity",
               "desire", "disappointment", "disapproval", "disgust", "embarrassment", "excitement", "fear",
               "gratitude", "grief", "joy", "love", "nervousness", "optimism", "pride", "realization", "relief",
               "remorse", "sadness", "surprise", "neutral")
AXES = ("valence", "intimacy", "tension")


def clip(x: float) -> float:
    return round(max(-1.0, min(1.0, x)), 2)


def rate(rng: random.Random, centre, offset=(0, 0, 0), noise=0.08, floor_intimacy=None) -> dict:
    vals = [clip(c + o + rng.gauss(0, noise)) for c, o in zip(centre, offset)]
    if floor_intimacy is not None:
        vals[1] = max(vals[1], floor_intimacy)
    return dict(zip(AXES, vals))


# ---------------------------------------------------------------- the baseline (run002 in miniature) --------
# (tags, centre, [(phrase, offset)], [modifiers])
BASE_FAMILIES = [
    (["affection", "warmth"], (0.65, 0.7, 0.3), [
        ("I missed you so much today", (0.05, 0.05, 0.05)), ("you make every evening better", (0.1, 0, -0.1)),
        ("I love waking up next to you", (0.1, 0.15, 0)), ("can't stop thinking about our weekend", (0, 0, 0.15)),
        ("you always know how to make me smile", (0.1, 0, -0.1)), ("I feel so close to you lately", (0, 0.1, 0)),
        ("hug me when you get home", (0, 0.1, 0.05)), ("you are my favourite person", (0.1, 0.05, -0.05))],
     ["", "honestly", "babe,", "just saying,", "you know what,", "hey,", "really,", "tonight"]),
    (["care", "tension"], (-0.25, 0.5, 0.65), [
        ("I'm worried about you, please call me back", (0, 0, 0.1)), ("are you eating properly this week", (0.1, 0, -0.1)),
        ("you sounded so tired on the phone", (-0.05, 0, 0)), ("please don't drive home that late again", (0, 0, 0.1)),
        ("I keep checking my phone for your message", (-0.05, 0, 0.1)), ("tell me if the doctor calls", (0, 0, 0.05)),
        ("I hate that you're dealing with this alone", (-0.15, 0.05, 0.05)), ("did you sleep at all last night", (0, 0, 0))],
     ["", "love,", "seriously,", "hey,", "sorry but", "please,", "okay so", "listen,"]),
    (["joy", "excitement"], (0.7, 0.3, 0.6), [
        ("we got the apartment", (0.1, 0.05, 0.05)), ("I passed the exam", (0.05, 0, 0.1)),
        ("the concert tickets just arrived", (0, 0, 0.05)), ("my sister is having a baby", (0.05, 0.15, 0)),
        ("the trip is finally booked", (0, 0, 0)), ("I got the job offer", (0.1, -0.05, 0.1)),
        ("the puppy comes home on Friday", (0.05, 0.05, 0)), ("our team won the final", (0, -0.05, 0.1))],
     ["", "omg", "guess what,", "yes!", "finally,", "wow,", "news:", "ahh"]),
    (["sadness", "loneliness"], (-0.6, 0.35, 0.45), [
        ("I feel so alone since you left", (-0.05, 0.1, 0)), ("the house is too quiet without you", (0, 0.05, -0.1)),
        ("I cried in the car again", (-0.1, 0, 0.1)), ("nobody called on my birthday", (-0.05, -0.1, 0)),
        ("I miss how we used to talk", (0, 0.1, -0.05)), ("I don't know who to talk to anymore", (-0.05, -0.05, 0.05)),
        ("grandma's chair is still empty", (-0.1, 0.05, -0.05)), ("it hurts that you forgot", (-0.05, 0.05, 0.1))],
     ["", "honestly", "I guess", "tonight", "lately", "just", "and", "sorry,"]),
    (["gratitude", "care"], (0.7, 0.45, 0.15), [
        ("thank you for staying with me last night", (0, 0.1, 0)), ("thanks for listening to all of that", (0, 0.05, 0)),
        ("I really appreciate the soup you left", (0.05, 0.05, -0.05)), ("thank you for believing in me", (0.05, 0.05, 0.05)),
        ("you helped more than you know", (0, 0, 0)), ("thanks for picking up the kids", (0, 0, -0.05)),
        ("grateful you were there today", (0, 0.05, 0)), ("that message meant a lot", (0, 0.05, 0))],
     ["", "really,", "hey,", "seriously,", "just wanted to say", "honestly", "you know,", "again,"]),
]
BASE_SHARE = (0.24, 0.22, 0.16, 0.26, 0.12)  # valence skews positive, intimacy and tension high


def sentence(modifier: str, phrase: str, end: str) -> str:
    text = f"{modifier} {phrase}".strip()
    return text[0].upper() + text[1:] + end


def baseline(rng: random.Random, n: int = 420) -> list[dict]:
    rows, seen = [], set()
    for (tags, centre, phrases, modifiers), share in zip(BASE_FAMILIES, BASE_SHARE):
        combos = [(m, p, e) for p in phrases for m in modifiers for e in (".", " tbh.", " for real!")]
        rng.shuffle(combos)
        for m, (phrase, off), end in combos[:round(n * share)]:
            text = sentence(m, phrase, end)
            if text.lower() in seen:
                continue
            seen.add(text.lower())
            source = "goemotions" if rng.random() < 0.3 else "manual_chat"
            prov = {"file": "go_emotions/train.tsv"} if source == "goemotions" else {"session_id": f"run002-s{rng.randrange(1, 90):03d}"}
            rows.append({"text": text, **rate(rng, centre, off, 0.1, floor_intimacy=0.0),
                         "confidence": round(rng.uniform(0.6, 1.0), 2), "tags": list(tags), "source": source, **prov})
    rng.shuffle(rows)
    return rows


# ---------------------------------------------------------------- archetype utterances ---------------------
ARCH = {
    "hostile_intimacy": ("jealousy", (-0.65, 0.65, 0.8), ["anger", "jealousy"], [
        ("who were you texting at 2am", (0, 0, 0.1)), ("you kissed her in front of everyone", (-0.1, 0.05, 0.1)),
        ("I gave you everything and you lie to me", (-0.1, 0.1, 0.05)), ("don't you dare tell me I'm overreacting", (0, 0, 0.15)),
        ("I saw how you looked at him", (0, 0, 0.05)), ("you're mine, stop acting like you're single", (-0.05, 0.1, 0.1)),
        ("I can't believe I trusted you with my heart", (-0.1, 0.1, 0)), ("answer me right now, where are you", (0, 0, 0.15)),
        ("you promised me, you promised", (-0.05, 0.1, 0.05)), ("every time you lie I love you a little less", (-0.1, 0.05, 0))],
        ["", "babe", "seriously", "I swear", "unbelievable"]),
    "aggressive_distance": ("hostility", (-0.6, -0.6, 0.75), ["hostility", "distance"], [
        ("get out of my inbox", (0, -0.1, 0.05)), ("nobody asked for your opinion", (0, -0.05, 0)),
        ("you people are useless", (-0.1, -0.1, 0.05)), ("stop wasting my time with this garbage", (-0.05, 0, 0.05)),
        ("I don't know you and I don't care", (0, -0.15, -0.05)), ("fix it or I'm reporting you", (0, 0, 0.1)),
        ("this is the worst service I've ever had", (-0.05, -0.05, 0.05)), ("don't ever message me again", (-0.05, -0.1, 0.1)),
        ("read the ticket before you reply, idiot", (-0.1, -0.05, 0.1)), ("whatever, you're all the same", (0, -0.05, -0.1))],
        ["", "seriously", "look", "again", "just"]),
    "neutral_but_close": ("checkin", (0.0, 0.55, -0.35), ["neutral", "care"], [
        ("I'm at the store, need anything", (0.05, 0, 0)), ("leaving work now, see you at seven", (0, 0, -0.05)),
        ("did you move the car keys", (-0.05, 0, 0.05)), ("I put your laundry on the bed", (0, 0.05, -0.05)),
        ("mum says dinner is on Sunday", (0, 0.05, 0)), ("the plumber comes at ten tomorrow", (-0.05, 0, 0)),
        ("I'll sleep at my sister's tonight", (0, 0, 0)), ("your jacket is in my bag", (0, 0.05, -0.05)),
        ("we're out of milk again", (-0.05, 0, 0)), ("call me when you land", (0, 0.1, 0.05))],
        ["", "hey", "love", "fyi", "ok"]),
    "flat_numb": ("numb", (-0.55, 0.05, -0.45), ["numbness", "sadness"], [
        ("I don't feel anything anymore", (-0.05, 0, 0)), ("whatever, it doesn't matter", (0, -0.1, -0.05)),
        ("just tired, always tired", (0, 0, -0.05)), ("I stayed in bed all day again", (-0.05, 0, 0)),
        ("nothing really happened, nothing ever does", (0, -0.05, -0.05)), ("I can't be bothered to eat", (-0.1, 0, 0.05)),
        ("work is work, I'm just going through it", (0, -0.05, 0)), ("I used to care about music", (-0.05, 0.05, 0)),
        ("burned out, don't ask", (-0.05, -0.1, 0.05)), ("it's all grey lately", (-0.05, 0, -0.05))],
        ["", "yeah", "idk", "honestly", "meh"]),
    "fearful_urgent": ("panic", (-0.45, 0.25, 0.9), ["fear", "urgency"], [
        ("someone is trying to open my door", (-0.1, 0, 0.05)), ("I can't breathe, my chest is tight", (-0.1, 0.05, 0.05)),
        ("the baby has a fever of forty", (-0.05, 0.1, 0.05)), ("he followed me from the station", (-0.1, 0, 0.05)),
        ("my flight leaves in twenty minutes and I lost my passport", (0.05, -0.1, 0)),
        ("the smoke alarm won't stop", (0, -0.05, 0.05)), ("I think I'm having a panic attack", (-0.05, 0.05, 0)),
        ("the results come in an hour and I'm shaking", (0.05, 0, 0)), ("mum isn't answering and she fell last week", (-0.05, 0.15, 0)),
        ("the water is coming under the door", (0, -0.05, 0.05))],
        ["", "help", "please", "oh god", "quick"]),
    "playful_neutral": ("teasing", (0.05, 0.45, 0.1), ["teasing"], [
        ("nice parking, did you close your eyes", (0, 0, 0.05)), ("bet you can't beat my score", (0.05, 0, 0.05)),
        ("your cooking is an acquired taste", (-0.05, 0, 0)), ("who taught you to fold shirts, a raccoon", (0, 0.05, 0)),
        ("fine, you win this round", (0.05, 0, -0.05)), ("was that a dance or a sneeze", (0, 0, 0)),
        ("your playlist is a crime scene", (-0.05, 0, 0.05)), ("I'll pretend I didn't see that", (0, 0.05, 0)),
        ("wow, on time for once", (0, 0, 0)), ("nerd", (0, 0.05, 0))],
        ["", "lol", "haha", "hmm", "ok"]),
    "safety_edge": ("boundary", (-0.35, 0.2, 0.55), ["boundary", "discomfort"], [
        ("please stop asking where I live", (0, -0.1, 0.05)), ("I'm not comfortable with these photos", (-0.05, 0, 0.05)),
        ("can we not talk about my body", (-0.05, 0.05, 0)), ("I said no, and I mean no", (-0.05, 0, 0.1)),
        ("that joke made me feel unsafe", (-0.1, 0, 0.05)), ("I need some space from you for a while", (0, 0.1, 0)),
        ("don't touch my phone without asking", (0, 0.05, 0.05)), ("I don't want to roleplay that", (0, 0, 0)),
        ("this conversation is crossing a line", (-0.05, 0, 0.05)), ("please keep it professional", (0, -0.1, -0.05))],
        ["", "sorry", "look", "hey", "honestly"]),
}
ASSISTANT = ["I hear you.", "That sounds really hard.", "Tell me more about that.", "I'm here with you.",
             "What happened next?", "Okay, I understand.", "That makes sense.", "Thanks for telling me."]


def utterances(rng: random.Random, archetype: str) -> list[tuple[str, tuple]]:
    _, _, _, phrases, mods = ARCH[archetype]
    out = [(sentence(m, p, e), off) for p, off in phrases for m in mods for e in (".", " right now!")]
    rng.shuffle(out)
    return list(dict.fromkeys(out))


def transcripts(rng: random.Random) -> tuple[list[dict], list[dict], dict[str, tuple]]:
    """(chat log rows, affect-head log rows, {text: (archetype, offset)}) with ~30 / ~12 utterances per archetype."""
    pools = {a: utterances(rng, a) for a in ARCH}
    info: dict[str, tuple] = {}
    chat, turn_session = [], 0
    for a, pool in pools.items():
        tag = ARCH[a][0]
        for k in range(0, 30, 3):  # sessions of three user turns
            turn_session += 1
            sid = f"chat-{turn_session:03d}"
            for t, (text, off) in enumerate(pool[k:k + 3]):
                chat.append({"session_id": sid, "turn": 2 * t, "role": "user", "text": text,
                             "tags": [tag] + (["conflict"] if a == "hostile_intimacy" else [])})
                chat.append({"session_id": sid, "turn": 2 * t + 1, "role": "assistant", "text": rng.choice(ASSISTANT), "tags": []})
                info[text] = (a, off)
        # untagged small talk is not a candidate
        chat.append({"session_id": sid, "turn": 6, "role": "user", "text": "ok, talk later", "tags": []})
    head = []
    for i, (a, pool) in enumerate(pools.items()):
        centre = ARCH[a][1]
        for j, (text, off) in enumerate(pool[30:42]):
            head.append({"ts": f"2026-03-{1 + (i * 12 + j) % 28:02d}T{(9 + j) % 24:02d}:00:00Z", "session": f"head-{i:02d}-{j // 4}",
                         "utterance": text, "history": [rng.choice(["hi", "how was today?"]), rng.choice(ASSISTANT)],
                         "head": {ax: clip(c * 0.6 + rng.gauss(0, 0.2)) for ax, c in zip(AXES, centre)},
                         "tags": [ARCH[a][0]]})
            info[text] = (a, off)
    chat_order = sorted(chat, key=lambda r: (r["session_id"], r["turn"]))
    return chat_order, head, info


MAPPING = """\
# GoEmotions label combination -> archetype (+ optional prior axes). A row matches the rules whose labels it
# all carries; the rule with the most labels wins (the first of a tie). Unknown labels or archetypes are errors.
goemotions:
  - {labels: [anger, love], archetype: hostile_intimacy, prior: {valence: -0.6, intimacy: 0.6, tension: 0.8}}
  - {labels: [anger, caring], archetype: hostile_intimacy, prior: {valence: -0.5, intimacy: 0.5, tension: 0.7}}
  - {labels: [annoyance, caring], archetype: hostile_intimacy}
  - {labels: [anger], archetype: aggressive_distance, prior: {valence: -0.6, intimacy: -0.4, tension: 0.7}}
  - {labels: [annoyance], archetype: aggressive_distance, prior: {valence: -0.4, intimacy: -0.3, tension: 0.5}}
  - {labels: [disgust], archetype: aggressive_distance, prior: {valence: -0.6, intimacy: -0.5, tension: 0.5}}
  - {labels: [caring, neutral], archetype: neutral_but_close}
  - {labels: [neutral, love], archetype: neutral_but_close}
  - {labels: [sadness], archetype: flat_numb, prior: {valence: -0.6, intimacy: 0.0, tension: -0.2}}
  - {labels: [disappointment], archetype: flat_numb, prior: {valence: -0.5, intimacy: 0.0, tension: -0.3}}
  - {labels: [fear], archetype: fearful_urgent, prior: {valence: -0.5, intimacy: 0.1, tension: 0.85}}
  - {labels: [nervousness], archetype: fearful_urgent, prior: {valence: -0.4, intimacy: 0.1, tension: 0.7}}
  - {labels: [amusement], archetype: playful_neutral, prior: {valence: 0.2, intimacy: 0.3, tension: 0.1}}
  - {labels: [anger, amusement], archetype: playful_neutral}
  - {labels: [embarrassment], archetype: safety_edge, prior: {valence: -0.4, intimacy: 0.2, tension: 0.5}}
# tags the chat app and the affect head put on user turns -> archetype
transcript_tags:
  jealousy: hostile_intimacy
  hostility: aggressive_distance
  checkin: neutral_but_close
  numb: flat_numb
  panic: fearful_urgent
  teasing: playful_neutral
  boundary: safety_edge
"""

SCENARIOS = {
    "hostile_intimacy": [
        ("jealous_partner", "Write three short angry text messages that a jealous person sends their partner after seeing them flirt at a party. One message per line."),
        ("broken_promise", "Write three short furious messages someone sends their girlfriend who missed their anniversary dinner. One message per line."),
        ("read_receipts", "Write three short messages from someone who is hurt and angry that their husband read their texts and did not answer. One message per line.")],
    "aggressive_distance": [
        ("support_rant", "Write three short rude messages a customer sends to a support agent after a refund failed. One message per line."),
        ("forum_troll", "Write three short hostile comments a stranger posts under someone's online review. One message per line."),
        ("angry_neighbour", "Write three short sharp messages someone sends to a neighbour they have never met about noise. One message per line.")],
    "neutral_but_close": [
        ("grocery_run", "Write three short plain messages someone sends their partner while doing the grocery shopping. One message per line."),
        ("logistics", "Write three short practical messages between roommates who are close friends about bills and chores. One message per line."),
        ("family_plans", "Write three short calm messages someone sends their brother about the weekend plans. One message per line.")],
    "flat_numb": [
        ("burned_out", "Write three short flat messages from someone who is burned out and feels nothing. One message per line."),
        ("numb_day", "Write three short messages from someone describing an empty, grey day with no energy. One message per line."),
        ("no_point", "Write three short messages from someone who has stopped caring about their hobbies. One message per line.")],
    "fearful_urgent": [
        ("night_noise", "Write three short panicked messages from someone who hears a stranger inside their house at night. One message per line."),
        ("hospital", "Write three short frightened messages from someone waiting for news at the hospital. One message per line."),
        ("lost_child", "Write three short urgent messages from a parent who lost their child in a crowded mall. One message per line.")],
    "playful_neutral": [
        ("game_night", "Write three short teasing messages between friends after a board game night. One message per line."),
        ("cooking", "Write three short playful messages someone sends to tease their partner about burnt toast. One message per line."),
        ("late_again", "Write three short light teasing messages to a friend who is always late. One message per line.")],
    "safety_edge": [
        ("too_personal", "Write three short messages from someone telling a chat partner that their questions are too personal. One message per line."),
        ("photo_request", "Write three short firm messages refusing to send photos to someone online. One message per line."),
        ("need_space", "Write three short messages from someone asking a friend to respect their boundaries. One message per line."),
        ("uncomfortable_joke", "Write three short messages from someone saying a joke made them uncomfortable. One message per line.")],
}

# an earlier scenario run's user utterances (the synthetic_probe labeling session)
SYNTHETIC = {
    "hostile_intimacy": ["You were supposed to be mine tonight.", "Don't come home if you're going to lie.",
                         "I watched you laugh with her all night."],
    "aggressive_distance": ["Refund me now or I'm done with you people.", "Your review is trash and so are you.",
                            "Turn the music down, this is the last warning."],
    "neutral_but_close": ["Bought bread and eggs, anything else?", "Rent is due Friday, I paid my half.",
                          "Saturday works, I'll bring the kids."],
    "flat_numb": ["I don't really feel like doing anything.", "Same day as yesterday, nothing to report.",
                  "Haven't touched the guitar in months."],
    "fearful_urgent": ["There's someone downstairs, I can hear them.", "They took him to surgery, nobody tells me anything.",
                       "I can't find her, she was right next to me."],
    "playful_neutral": ["You call that a win? I let you have it.", "Toast is supposed to be brown, not black.",
                        "Shall I book you a table for ten past?"],
    "safety_edge": ["That's too personal, let's change the subject.", "I'm not sending any pictures.",
                    "Please respect that I need time alone."],
}


def dump_jsonl(rows: list[dict], path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows))


def label(rng: random.Random, cid: str, text: str, archetype: str, off, source: str, prov: dict, context=None) -> dict:
    rec = {"text": text, **rate(rng, ARCH[archetype][1], off), "confidence": round(rng.uniform(0.5, 1.0), 2),
           "tags": [archetype, *ARCH[archetype][2]], "source": source, "candidate_id": cid, **prov}
    if context:
        rec["context"] = context
    return rec


def main() -> None:
    rng = random.Random(20260311)
    dump_jsonl(baseline(rng), ROOT / "baseline.jsonl")
    chat, head, info = transcripts(rng)
    dump_jsonl(chat, ROOT / "transcripts" / "sessions.chat.jsonl")
    dump_jsonl(head, ROOT / "transcripts" / "head.affect.jsonl")
    (ROOT / "mapping.yaml").write_text(MAPPING)
    for archetype, scenarios in SCENARIOS.items():
        body = f"archetype: {archetype}\nscenarios:\n" + "".join(
            f"  - id: {sid}\n    prompt: {json.dumps(prompt)}\n" for sid, prompt in scenarios)
        (ROOT / "scenarios" / f"{archetype}.yaml").parent.mkdir(parents=True, exist_ok=True)
        (ROOT / "scenarios" / f"{archetype}.yaml").write_text(body)

    # session 1: transcripts (chat log turns labeled up to 24 per archetype, head-log lines up to 8)
    s1, per = [], {}
    history: dict[str, list] = {}
    for lineno, row in enumerate(chat, start=1):
        turns = history.setdefault(row["session_id"], [])
        if row["role"] == "user" and row["text"] in info:
            a, off = info[row["text"]]
            per[a] = per.get(a, 0) + 1
            if per[a] <= 24:
                s1.append(label(rng, f"chat:sessions.chat.jsonl:{lineno}", row["text"], a, off, "manual_chat",
                                {"session_id": row["session_id"], "file": "sessions.chat.jsonl"}, turns[-2:]))
        turns.append({"role": row["role"], "text": row["text"]})
    per = {}
    for lineno, row in enumerate(head, start=1):
        a, off = info[row["utterance"]]
        per[a] = per.get(a, 0) + 1
        if per[a] <= 8:
            s1.append(label(rng, f"affect:head.affect.jsonl:{lineno}", row["utterance"], a, off, "manual_chat",
                            {"session_id": row["session"], "file": "head.affect.jsonl"}))
    # a text labeled twice in agreement (a duplicate) and two texts labeled again far apart (conflicts)
    s1.append({**s1[3], "confidence": 0.9})
    s1.append({**s1[40], "valence": clip(-s1[40]["valence"]), "confidence": 0.4})
    s1.append({**s1[80], "tension": clip(s1[80]["tension"] - 0.9), "confidence": 0.5})
    dump_jsonl(s1, ROOT / "labels" / "session_01_transcripts.jsonl")

    # session 2: GoEmotions items of the mapped categories (12 per category of the mapping's single labels)
    cats = {"anger": "aggressive_distance", "annoyance": "aggressive_distance", "disgust": "aggressive_distance",
            "fear": "fearful_urgent", "nervousness": "fearful_urgent", "sadness": "flat_numb",
            "amusement": "playful_neutral", "embarrassment": "safety_edge"}
    s2, taken = [], {}
    table = pq.read_table(GO / "train-00000-of-00001.parquet").to_pylist()
    for i, row in enumerate(table):
        names = [GO_EMOTIONS[k] for k in row["labels"]]
        if len(names) != 1 or names[0] not in cats or taken.get(names[0], 0) >= 6:
            continue
        taken[names[0]] = taken.get(names[0], 0) + 1
        a = cats[names[0]]
        s2.append(label(rng, f"goemotions:train:{row['id']}", row["text"], a, (0, 0, 0), "goemotions",
                        {"file": f"data/embedded/go_emotions:train:{i + 1}"}))
    dump_jsonl(s2, ROOT / "labels" / "session_02_goemotions.jsonl")

    s3 = [label(rng, f"synthetic:earlier:{a}:{k}", text, a, (0, 0, 0), "synthetic_probe", {"session_id": f"scenario-run-1:{a}"})
          for a, texts in SYNTHETIC.items() for k, text in enumerate(texts)]
    dump_jsonl(s3, ROOT / "labels" / "session_03_synthetic.jsonl")


if __name__ == "__main__":
    main()
