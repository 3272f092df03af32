"""Write the embedded mirrors of ED-v2, ESConv and GoEmotions in their exact hub file formats.

    python data/embedded/make_dialogue_mirrors.py     # rewrites data/embedded/{ed_v2,esconv,go_emotions}/

Deterministic (one seeded random.Random per dataset): the same script writes byte-identical files. The texts
are composed from hand-written fragments (events, openers, follow-ups, strategy replies), so rows vary in
wording, length and label while every label is consistent with its text. Formats (what the readers in
`affectlab.sft.datasets` accept from the hub too):
- ed_v2/{train,dev,test}.csv: id, chat_history (a Python-literal list as a string), sys_response, situation,
  emotion, question or not, behavior; commas in texts written as `_comma_`.
- esconv/{train,validation,test}.json: JSON lines, one column `text` holding a JSON string of one dialogue
  (experience_type, emotion_type, problem_type, situation, survey_score, dialog with usr/sys speakers and a
  strategy on sys turns, seeker/supporter questions).
- go_emotions/simplified/{split}-00000-of-00001.parquet: text, labels (list of int over 28 labels), id.
A few rows are deliberately skippable (an empty sys_response, a dialogue with no supporter turn,
multi-label GoEmotions rows), so the counted-skip paths run on the default data.
"""
from __future__ import annotations

import json
import random
import string
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

OUT = Path(__file__).resolve().parent
SIZES = {"train": 1.0, "validation": 0.2, "test": 0.2}

# ---------------------------------------------------------------- ED-v2 -------------------------------------
ED_EVENTS = {
    "afraid": ["I heard footsteps outside my window at 2am", "my car slid on black ice on the highway",
               "the doctor called and wants to run more tests"],
    "angry": ["my neighbour backed into my car and drove off", "someone stole my lunch from the office fridge again",
              "the landlord kept my whole deposit for no reason"],
    "annoyed": ["the people upstairs were stomping around all night", "my coworker keeps taking credit for my ideas",
                "the bus was late for the fifth time this week"],
    "anticipating": ["my sister is flying home next month", "the new season of my favourite show starts on friday",
                     "I get the keys to my first apartment soon"],
    "anxious": ["I have a job interview tomorrow morning", "my exam results come out on monday",
                "I have to give a speech at my friend's wedding"],
    "apprehensive": ["I am starting a new job in a different city", "I signed up for my first marathon",
                     "we are moving my grandmother into a care home"],
    "ashamed": ["I yelled at my kids over something tiny", "I forgot my best friend's birthday completely",
                "I lied to my boss about why I was late"],
    "caring": ["my roommate has the flu so I made her soup", "I have been walking my elderly neighbour's dog",
               "I stayed up with my little brother when he had a nightmare"],
    "confident": ["I practised the piece for months and the recital is tonight",
                  "I studied every chapter for the certification test", "I finally feel ready for the driving test"],
    "content": ["I spent the whole sunday reading in the garden", "dinner with my family was quiet and warm",
                "I finished all my chores and just relaxed"],
    "devastated": ["my dog passed away last week", "I lost the job I had for ten years",
                   "my house flooded and we lost most of our things"],
    "disappointed": ["I did not get the promotion I worked so hard for", "the concert I waited months for was cancelled",
                     "my friends forgot to invite me to the trip"],
    "disgusted": ["I found mould all over the bread I had just bitten", "someone left trash all over the park",
                  "the restaurant kitchen was filthy when I walked past"],
    "embarrassed": ["I tripped on stage in front of the whole school", "I called my teacher mom by accident",
                    "I sent a text about my boss to my boss"],
    "excited": ["we are going to japan in the spring", "I just got tickets to the final game",
                "my band got booked for our first real show"],
    "faithful": ["I stayed with my partner through a really hard year", "I kept my promise to visit my grandfather every week",
                 "I have supported the same team since I was six"],
    "furious": ["the mechanic charged me twice for the same repair", "someone keyed my brand new car",
                "my flight was cancelled and nobody would help"],
    "grateful": ["a stranger paid for my groceries when my card failed", "my friends helped me move in the rain",
                 "my teacher wrote me a great reference letter"],
    "guilty": ["I broke my sister's favourite mug and hid it", "I skipped my friend's party to stay home",
               "I ate the last slice of cake that was meant for my dad"],
    "hopeful": ["I applied to the nursing program again", "my mom's treatment seems to be working",
                "I have a second interview next week"],
    "impressed": ["my nephew built a robot for the science fair", "my coworker ran the whole project alone",
                  "the street musician played three instruments at once"],
    "jealous": ["my best friend got the scholarship I wanted", "my brother always gets the attention at family dinners",
                "my coworker got a new car and a raise"],
    "joyful": ["my daughter took her first steps today", "I got engaged over the weekend",
               "we adopted a puppy from the shelter"],
    "lonely": ["all my friends moved away after college", "I spent the holidays by myself this year",
               "I work from home and barely talk to anyone"],
    "nostalgic": ["I found my old game console in the attic", "I drove past my childhood home yesterday",
                  "I heard a song from my high school years"],
    "prepared": ["I packed the emergency kit before the storm", "I have my notes ready for the big meeting",
                 "I saved up enough money before quitting my job"],
    "proud": ["my son graduated with honours", "I finished my first half marathon",
              "I got my degree while working full time"],
    "sad": ["my best friend is moving across the country", "I had to give my cat away",
            "my grandfather is in the hospital again"],
    "sentimental": ["I read the letters my grandmother wrote me", "I watched our old wedding video",
                    "I kept the ticket stub from our first date"],
    "surprised": ["my coworkers threw me a party I knew nothing about", "I ran into my old teacher in another country",
                  "I won a raffle I forgot I had entered"],
    "terrified": ["the plane dropped suddenly during the storm", "a huge dog chased me down the street",
                  "I woke up and smelled smoke in the house"],
    "trusting": ["I let my friend borrow my car for the week", "I told my sister my biggest secret",
                 "I gave my neighbour a spare key to my house"],
}
POSITIVE = {"anticipating", "caring", "confident", "content", "excited", "faithful", "grateful", "hopeful",
            "impressed", "joyful", "nostalgic", "prepared", "proud", "sentimental", "surprised", "trusting"}
ED_OPENERS = ["", "So ", "Guess what, ", "You won't believe it, ", "Honestly ", "Well ", "Last week ", "Yesterday ",
              "This morning ", "I have to tell someone: "]
ED_FEELINGS_POS = ["and I am still smiling about it", "and it made my whole week", "and I can't stop thinking about it",
                   "it felt so good", "and I feel lucky", ""]
ED_FEELINGS_NEG = ["and I can't stop thinking about it", "and it has been weighing on me", "and I don't know what to do",
                   "it really got to me", "and I barely slept", ""]
ED_FOLLOWUPS = ["Oh wow, how did that happen?", "Really? Tell me more.", "How are you feeling about it now?",
                "What did you do then?", "That sounds like a lot. When was this?", "Did anyone else know?"]
ED_ELABORATIONS = ["It happened so fast, I still can't believe it.", "I told my family and they were just as shocked.",
                   "It was last friday, right after work.", "I keep replaying the moment in my head.",
                   "Nobody saw it coming, least of all me.", "I just needed to get it off my chest."]
ED_RESPONSES_POS = ["That is wonderful, you must be thrilled!", "I am so happy for you, you deserve it.",
                    "What great news, how are you going to celebrate?", "That sounds amazing, enjoy every moment of it.",
                    "Good for you! That is something to be proud of.", "That is so sweet, it must mean a lot to you."]
ED_RESPONSES_NEG = ["I am so sorry, that sounds really hard.", "That must have been awful, are you okay?",
                    "I would be upset too, that is not fair to you.", "That sounds stressful, I hope it gets better soon.",
                    "Oh no, I can only imagine how that felt.", "That is rough, do you have someone to talk to about it?"]
ED_BEHAVIORS = ["acknowledging", "agreeing", "consoling", "encouraging", "questioning", "sympathizing", "wishing"]


def _ed_text(text: str) -> str:
    return text.replace(",", "_comma_")


def make_ed(rng: random.Random, n: int, split: str) -> pd.DataFrame:
    emotions = sorted(ED_EVENTS)
    rows = []
    for i in range(n):
        emotion = emotions[i % len(emotions)] if split == "train" else rng.choice(emotions)
        event = rng.choice(ED_EVENTS[emotion])
        feeling = rng.choice(ED_FEELINGS_POS if emotion in POSITIVE else ED_FEELINGS_NEG)
        first = (rng.choice(ED_OPENERS) + event + (", " + feeling if feeling else "") + rng.choice([".", "!", "..."]))
        first = first[0].upper() + first[1:]
        history = [first]
        if rng.random() < 0.45:
            history += [rng.choice(ED_FOLLOWUPS), rng.choice(ED_ELABORATIONS)]
        response = rng.choice(ED_RESPONSES_POS if emotion in POSITIVE else ED_RESPONSES_NEG)
        if rng.random() < 0.4:
            response += " " + rng.choice(["What happened next?", "How are you holding up?", "Who did you tell first?",
                                          "Is there anything I can do?", "Do you think it will change things?"])
        if split == "train" and i == 7:
            response = ""  # an empty sys_response: counted as a skip, never trained on
        situation = f"I felt {emotion} when {event}."
        rows.append({"id": f"hit:{i // 3}_conv:{i}", "chat_history": repr([_ed_text(u) for u in history]),
                     "sys_response": _ed_text(response), "situation": _ed_text(situation), "emotion": emotion,
                     "question or not": "question" if response.endswith("?") else "not question",
                     "behavior": rng.choice(ED_BEHAVIORS)})
    return pd.DataFrame(rows)


# ---------------------------------------------------------------- ESConv ------------------------------------
ES_PROBLEMS = {
    "ongoing depression": ["I have felt empty for months and nothing helps", "I can barely get out of bed lately"],
    "job crisis": ["I was laid off and I can't find anything new", "my manager said my position might be cut"],
    "breakup with partner": ["my partner of five years left me", "my girlfriend ended things over text"],
    "problems with friends": ["my best friend stopped talking to me", "my friends keep making plans without me"],
    "academic pressure": ["I am failing two classes this semester", "my thesis deadline is in two weeks and I am behind"],
    "issues with parents": ["my parents fight every night", "my dad keeps criticising every choice I make"],
    "sleep problems": ["I have not slept more than four hours a night in weeks", "I wake up at 3am with my heart racing"],
    "procrastination": ["I keep putting off everything important", "I waste whole days and then panic at night"],
    "alcohol abuse": ["I have been drinking every night to calm down", "my brother's drinking is getting worse"],
    "appearance anxiety": ["I hate how I look in every photo", "I avoid going out because of my skin"],
}
ES_EMOTIONS = ["anxiety", "depression", "sadness", "anger", "fear", "shame", "disgust", "nervousness", "pain",
               "jealousy", "guilt"]
ES_GREETINGS = ["Hi there.", "Hello, is anyone there?", "Hey.", "Hi, I just need to talk to someone.", "Hello."]
ES_SEEKER = ["It has been really hard.", "I just feel stuck.", "I don't know who else to tell.",
             "Everyone says it will pass but it doesn't.", "I keep thinking it's my fault.", "Some days are better than others.",
             "I tried talking to my family but they don't get it.", "I feel so tired all the time.",
             "Yes, exactly.", "Maybe you are right.", "I never thought about it that way.", "That does help a little."]
ES_STRATEGIES = {
    "Question": ["How long have you been feeling this way?", "What do you think started it?",
                 "Do you have anyone close you can talk to?", "How are you coping day to day?"],
    "Restatement or Paraphrasing": ["So it sounds like {short} and it is wearing you down.",
                                    "If I understand you, {short} and you feel alone with it."],
    "Reflection of feelings": ["You sound really overwhelmed right now.", "It seems like you feel hurt and confused.",
                               "I can hear how exhausted you are."],
    "Self-disclosure": ["I went through something similar a few years ago and it was so hard.",
                        "I remember feeling the same when I was in that situation."],
    "Affirmation and Reassurance": ["You are doing the right thing by reaching out.",
                                    "It takes strength to talk about this, and you are not alone.",
                                    "Anyone in your place would struggle, you are not weak."],
    "Providing Suggestions": ["Maybe you could write down what you feel each evening.",
                              "Have you thought about talking to a counsellor at work or school?",
                              "It might help to take a short walk when it gets too much."],
    "Information": ["Many people find that regular sleep and routine make a real difference.",
                    "Talking therapies are often free through local health services."],
    "Others": ["I am glad you came here today.", "Take your time, I am listening.", "You're welcome, take care of yourself."],
}


def make_esconv(rng: random.Random, n: int, split: str) -> list[dict]:
    problems = sorted(ES_PROBLEMS)
    strategies = sorted(ES_STRATEGIES)
    rows = []
    for i in range(n):
        problem = problems[i % len(problems)] if split == "train" else rng.choice(problems)
        situation = rng.choice(ES_PROBLEMS[problem])
        dialog = [{"text": rng.choice(ES_GREETINGS), "speaker": "usr"},
                  {"text": rng.choice(["Hi, how are you feeling today?", "Hello, what is on your mind?"]),
                   "speaker": "sys", "strategy": "Question"},
                  {"text": situation[0].upper() + situation[1:] + ".", "speaker": "usr"}]
        for _ in range(rng.randint(2, 5)):
            strategy = rng.choice(strategies)
            reply = rng.choice(ES_STRATEGIES[strategy]).format(short=situation)
            dialog.append({"text": reply, "speaker": "sys", "strategy": strategy})
            if rng.random() < 0.2:  # supporters often send two messages in a row
                extra = rng.choice(strategies)
                dialog.append({"text": rng.choice(ES_STRATEGIES[extra]).format(short=situation), "speaker": "sys",
                               "strategy": extra})
            dialog.append({"text": rng.choice(ES_SEEKER), "speaker": "usr"})
        if split == "train" and i == 5:
            dialog = [t for t in dialog if t["speaker"] == "usr"]  # no supporter turn: a counted skip
        record = {"experience_type": rng.choice(["Previous Experience", "Current Experience"]),
                  "emotion_type": rng.choice(ES_EMOTIONS), "problem_type": problem, "situation": situation,
                  "survey_score": {"seeker": {"initial_emotion_intensity": str(rng.randint(3, 5)),
                                              "empathy": str(rng.randint(3, 5)), "relevance": str(rng.randint(3, 5)),
                                              "final_emotion_intensity": str(rng.randint(1, 3))},
                                   "supporter": {"relevance": str(rng.randint(3, 5))}},
                  "dialog": dialog, "seeker_question1": "", "seeker_question2": "",
                  "supporter_question1": "", "supporter_question2": ""}
        rows.append({"text": json.dumps(record, ensure_ascii=False)})
    return rows


# ---------------------------------------------------------------- GoEmotions --------------------------------
GO_LABELS = ["admiration", "amusement", "anger", "annoyance", "approval", "caring", "confusion", "curiosity",
             "desire", "disappointment", "disapproval", "disgust", "embarrassment", "excitement", "fear",
             "gratitude", "grief", "joy", "love", "nervousness", "optimism", "pride", "realization", "relief",
             "remorse", "sadness", "surprise", "neutral"]
GO_TEXTS = {
    "admiration": ["{name} is honestly the best at this", "That was a brilliant {thing}, well played"],
    "amusement": ["lol that {thing} had me dying", "Haha I can't stop laughing at {name}"],
    "anger": ["I am so mad at {name} right now", "This {thing} makes my blood boil"],
    "annoyance": ["Ugh, {name} does this every single time", "This {thing} is getting really old"],
    "approval": ["Yeah, that {thing} makes sense to me", "Agreed, {name} got it right"],
    "caring": ["Take care of yourself, {name}", "I hope your {thing} goes okay, sending support"],
    "confusion": ["Wait, what does {name} even mean by that?", "I don't get this {thing} at all"],
    "curiosity": ["How did {name} manage that?", "I wonder what the {thing} will look like"],
    "desire": ["I really want to try that {thing}", "I wish I could go with {name}"],
    "disappointment": ["The {thing} was such a letdown", "Expected more from {name} honestly"],
    "disapproval": ["That is not okay, {name}", "I don't think this {thing} is a good idea"],
    "disgust": ["That {thing} is absolutely gross", "Eww, {name} that is nasty"],
    "embarrassment": ["I can't believe I said that in front of {name}", "So awkward, my {thing} was a mess"],
    "excitement": ["Can't wait for the {thing} this weekend!", "{name} is coming back, let's go!"],
    "fear": ["I'm scared the {thing} will go wrong", "{name} freaks me out"],
    "gratitude": ["Thanks so much {name}, this helped", "Thank you for sharing the {thing}"],
    "grief": ["Rest in peace {name}, we will miss you", "Still mourning the {thing}, it hurts"],
    "joy": ["This {thing} made my day so happy", "So glad {name} is here"],
    "love": ["I love this {thing} so much", "{name} you are adorable, love you"],
    "nervousness": ["I'm so nervous about the {thing} tomorrow", "My hands are shaking before meeting {name}"],
    "optimism": ["I think the {thing} will turn out fine", "Things will get better for {name}"],
    "pride": ["So proud of {name} for finishing", "I finally built my own {thing}"],
    "realization": ["Oh, I just realised the {thing} was fake", "Turns out {name} was right all along"],
    "relief": ["Phew, the {thing} is finally over", "So relieved {name} is safe"],
    "remorse": ["I'm sorry, {name}, I messed up", "I regret the {thing}, my bad"],
    "sadness": ["It makes me sad to see the {thing} like this", "I miss {name} so much"],
    "surprise": ["Wow, I did not expect the {thing}", "No way, {name} actually did it?"],
    "neutral": ["The {thing} starts at eight", "{name} posted it in the other thread"],
}
GO_NAMES = ["[NAME]", "my brother", "the coach", "this guy", "OP", "my mom", "the ref", "that streamer"]
GO_THINGS = ["game", "movie", "episode", "trade", "comment", "update", "post", "show", "recipe", "album", "exam"]


def make_goemotions(rng: random.Random, n: int, split: str) -> pd.DataFrame:
    rows = []
    for i in range(n):
        label = i % len(GO_LABELS) if split == "train" else rng.randrange(len(GO_LABELS))
        text = rng.choice(GO_TEXTS[GO_LABELS[label]]).format(name=rng.choice(GO_NAMES), thing=rng.choice(GO_THINGS))
        labels = [label]
        if rng.random() < 0.15:  # multi-label rows exist in the hub data; the SFT reader keeps single-label only
            other = rng.randrange(len(GO_LABELS))
            if other != label:
                labels.append(other)
                text += ". " + rng.choice(GO_TEXTS[GO_LABELS[other]]).format(name=rng.choice(GO_NAMES),
                                                                            thing=rng.choice(GO_THINGS))
        rid = "e" + "".join(rng.choice(string.ascii_lowercase + string.digits) for _ in range(6))
        rows.append({"text": text, "labels": labels, "id": rid})
    return pd.DataFrame(rows)


def main() -> None:
    for name, base in (("ed_v2", 480), ("esconv", 140), ("go_emotions", 600)):
        for split, frac in SIZES.items():
            n = int(base * frac)
            rng = random.Random(f"{name}:{split}")
            if name == "ed_v2":
                path = OUT / name / f"{'dev' if split == 'validation' else split}.csv"
                path.parent.mkdir(parents=True, exist_ok=True)
                make_ed(rng, n, split).to_csv(path, index=False)
            elif name == "esconv":
                path = OUT / name / f"{split}.json"
                path.parent.mkdir(parents=True, exist_ok=True)
                path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in make_esconv(rng, n, split)))
            else:
                path = OUT / name / "simplified" / f"{split}-00000-of-00001.parquet"
                path.parent.mkdir(parents=True, exist_ok=True)
                schema = pa.schema([("text", pa.string()), ("labels", pa.list_(pa.int64())), ("id", pa.string())])
                pq.write_table(pa.Table.from_pandas(make_goemotions(rng, n, split), schema=schema,
                                                    preserve_index=False), path)
            print(f"wrote {path} ({n} rows)")


if __name__ == "__main__":
    main()
