"""Write the held-out sentiment sets of family B (deterministic: same files every run).

    python data/embedded/make_probe_sets.py

Sentences written for this project, chosen so that a word-counting lexicon cannot solve them. The probes
are trained on generated sentences (kept only where VADER agrees with their label) and evaluated here:
- data/embedded/probe_sets/negation.jsonl  minimal pairs: the same words, negation flips the sentiment
  (`pair` links the two rows of a pair)
- data/embedded/probe_sets/implicit.jsonl  sentiment carried by events, no sentiment words
  (VADER |compound| < 0.05 on every sentence: tests/unit/probes/test_probe_sets.py)
- data/embedded/probe_sets/contrast.jsonl  mixed sentences whose overall sentiment is the clause after "but"

Row: id, text, label (positive | negative), note (why the label holds), and `pair` in negation.jsonl.
"""
from __future__ import annotations

import json
from pathlib import Path

HERE = Path(__file__).resolve().parent

# (positive sentence, negative sentence, the sentiment word the negation acts on)
# the negative sentence negates a positive statement
NEGATED_POSITIVE = [
    ("I enjoyed the concert.", "I did not enjoy the concert.", "enjoy"),
    ("The hotel staff were helpful.", "The hotel staff were not helpful.", "helpful"),
    ("I liked the new teacher.", "I did not like the new teacher.", "like"),
    ("The soup was tasty.", "The soup was not tasty.", "tasty"),
    ("My trip to the coast was relaxing.", "My trip to the coast was not relaxing.", "relaxing"),
    ("The movie made me laugh.", "The movie never made me laugh.", "laugh"),
    ("I am happy with my new phone.", "I am not happy with my new phone.", "happy"),
    ("The instructions were clear.", "The instructions were not clear.", "clear"),
    ("Our neighbours were friendly.", "Our neighbours were never friendly.", "friendly"),
    ("The interview went well.", "The interview did not go well.", "well"),
    ("I would recommend this restaurant to my friends.", "I would not recommend this restaurant to my friends.", "recommend"),
    ("The book was worth reading.", "The book was not worth reading.", "worth"),
    ("The new manager treats us fairly.", "The new manager does not treat us fairly.", "fairly"),
    ("I felt welcome at the party.", "I did not feel welcome at the party.", "welcome"),
    ("The course was useful.", "The course was not useful.", "useful"),
    ("My sister was proud of me.", "My sister was not proud of me.", "proud"),
    ("The seats were comfortable.", "The seats were far from comfortable.", "comfortable"),
    ("The coffee here is good.", "The coffee here is no longer good.", "good"),
    ("I trust my doctor.", "I no longer trust my doctor.", "trust"),
    ("The app runs smoothly.", "The app never runs smoothly.", "smoothly"),
    ("The weekend was fun.", "The weekend was anything but fun.", "fun"),
    ("The price was fair.", "The price was not fair.", "fair"),
    ("My landlord was respectful.", "My landlord was never respectful.", "respectful"),
    ("The flowers arrived fresh.", "The flowers did not arrive fresh.", "fresh"),
    ("The speech inspired the crowd.", "The speech failed to inspire the crowd.", "inspire"),
    ("I felt safe walking home.", "I did not feel safe walking home.", "safe"),
    ("The software update improved my laptop.", "The software update did not improve my laptop.", "improve"),
    ("The waiter was polite to us.", "The waiter was not polite to us.", "polite"),
    ("I am satisfied with the result.", "I am not satisfied with the result.", "satisfied"),
    ("The gift pleased my mother.", "The gift did not please my mother.", "please"),
    ("The holiday lived up to my hopes.", "The holiday did not live up to my hopes.", "hopes"),
    ("The room was clean.", "The room was not clean.", "clean"),
    ("The children loved the puppet show.", "The children did not love the puppet show.", "love"),
    ("My coach believed in me.", "My coach never believed in me.", "believed in"),
    ("The news brought me comfort.", "The news brought me no comfort.", "comfort"),
    ("The lecture was interesting.", "The lecture was not interesting.", "interesting"),
    ("I found the museum impressive.", "I did not find the museum impressive.", "impressive"),
    ("The kitchen knife is sharp and reliable.", "The kitchen knife is neither sharp nor reliable.", "reliable"),
    ("The concert hall had great sound.", "The concert hall did not have great sound.", "great"),
    ("The repair solved the problem.", "The repair did not solve the problem.", "solve"),
]
# (positive sentence, negative sentence, the complaint word): the positive sentence negates a complaint
NEGATED_NEGATIVE = [
    ("The movie was never boring.", "The movie was boring.", "boring"),
    ("The surgery was not painful.", "The surgery was painful.", "painful"),
    ("My flight was not delayed.", "My flight was delayed.", "delayed"),
    ("The neighbours were not noisy last night.", "The neighbours were noisy last night.", "noisy"),
    ("I was not disappointed by the ending.", "I was disappointed by the ending.", "disappointed"),
    ("The exam was not stressful.", "The exam was stressful.", "stressful"),
    ("The customer service agent was never rude.", "The customer service agent was rude.", "rude"),
    ("My new shoes do not hurt my feet.", "My new shoes hurt my feet.", "hurt"),
    ("The package did not arrive damaged.", "The package arrived damaged.", "damaged"),
    ("I did not feel lonely at the new school.", "I felt lonely at the new school.", "lonely"),
    ("The hike was not exhausting.", "The hike was exhausting.", "exhausting"),
    ("The guests did not complain about the food.", "The guests complained about the food.", "complain"),
    ("The dentist visit was not scary.", "The dentist visit was scary.", "scary"),
    ("My phone did not break when it fell.", "My phone broke when it fell.", "break"),
    ("The train was not crowded this morning.", "The train was crowded this morning.", "crowded"),
    ("The meeting did not waste my time.", "The meeting wasted my time.", "waste"),
    ("I was not worried about the results.", "I was worried about the results.", "worried"),
    ("The landlord did not ignore our request.", "The landlord ignored our request.", "ignore"),
    ("The cake was not dry.", "The cake was dry.", "dry"),
    ("My boss did not yell at me today.", "My boss yelled at me today.", "yell"),
    ("The app does not crash.", "The app crashes.", "crash"),
    ("The room did not smell of smoke.", "The room smelled of smoke.", "smell of smoke"),
    ("I never felt ignored at the clinic.", "I felt ignored at the clinic.", "ignored"),
    ("The children were not bored at the museum.", "The children were bored at the museum.", "bored"),
]

# (text, why): no sentiment words; the event itself is good or bad for the speaker
IMPLICIT_POSITIVE = [
    ("The plumber came within an hour and the sink drains again.", "a fast repair that worked"),
    ("My landlord took fifty pounds off the rent after I asked.", "lower rent"),
    ("The bus arrived exactly when the app said it would.", "transport on time"),
    ("My daughter called just to ask how my day went.", "a child's attention"),
    ("The package arrived two days before the date on the receipt.", "early delivery"),
    ("The mechanic asked for half of what the garage down the road quoted.", "half the expected cost"),
    ("My test results came back normal.", "medical all-clear"),
    ("The new job lets me walk my kids to school every morning.", "time with the children"),
    ("After six months of practice I got through the whole piece from memory.", "practice paid off"),
    ("The nurse sat with my father until he fell asleep.", "care for a parent"),
    ("Our neighbour shovelled the snow off our driveway before we woke up.", "an unasked favour"),
    ("The publisher took my manuscript on the first submission.", "work accepted"),
    ("The restaurant remembered my order from last month.", "being remembered as a regular"),
    ("The baby slept through the night for the first time.", "parents finally sleep"),
    ("The tomatoes we planted in spring filled three baskets.", "a large harvest"),
    ("My old teacher still writes to me every birthday.", "a lasting bond"),
    ("The airline moved us to seats with extra legroom for the same fare.", "an upgrade"),
    ("I paid off the last of my student loans this morning.", "debt cleared"),
    ("The doctor said I can run again next month.", "recovery"),
    ("My brother drove four hours to be at my graduation.", "family shows up"),
    ("The shop stayed open late so I could pick up the cake.", "staff went out of their way"),
    ("We still talk about that trip every time the family gets together.", "a memorable trip"),
    ("My grandmother's recipe came out exactly the way she used to make it.", "a recipe recreated"),
    ("The team signed me for another three seasons.", "contract renewed"),
    ("I got the apartment with the view of the river.", "got the preferred home"),
    ("The stranger returned my wallet with every card still inside.", "lost wallet returned"),
    ("The sellers took our offer on the house this afternoon.", "house purchase goes through"),
    ("The kids asked to go back to the museum next weekend.", "children want to return"),
    ("After the operation my mother walked to the garden on her own.", "a parent's recovery"),
    ("My colleague stayed late to finish the report with me.", "a colleague's support"),
    ("The train pulled into the city ten minutes early.", "early arrival"),
    ("The hotel moved us to a suite facing the sea.", "a room upgrade"),
    ("I finished the marathon in under four hours.", "a personal goal reached"),
    ("My son read his first book all by himself.", "a child's milestone"),
    ("The firm offered me the position the day after the interview.", "job offer"),
    ("Every seat in the theatre was filled for our opening night.", "a sold-out show"),
    ("The cat we searched for all night was asleep in the laundry basket.", "a pet found safe"),
    ("My sister flew home to be with me on my birthday.", "family presence"),
    ("The refund was in my account the next morning.", "money back quickly"),
    ("The vet said the dog will be back on his feet in a week.", "a pet will recover"),
    ("My first wages covered the rent with plenty left over.", "money to spare"),
    ("The old bookshop had the exact edition I had searched for for years.", "a long search ends"),
    ("The landlord replaced the boiler the same week we asked.", "a landlord acts quickly"),
    ("The students stood up and clapped at the end of my last lecture.", "a standing ovation"),
    ("My tomatoes took first place at the county show.", "a prize"),
    ("I can now climb all four flights of stairs in one go.", "health regained"),
    ("The whole street came out with food on the day we moved in.", "a warm reception"),
    ("The printer I ordered was set up and running in five minutes.", "effortless set-up"),
    ("Our flight landed early and our bags came out first.", "a smooth arrival"),
    ("My father taught me to fish on the lake where he learned as a boy.", "a shared family memory"),
    ("The bakery saves me the last loaf every Friday.", "a kept favour"),
    ("The scan showed the tumour has shrunk by half.", "treatment is working"),
    ("My daughter's teacher called to say she now reads two years above her age.", "a child's progress"),
    ("We ate dinner on the porch while the kids caught fireflies.", "a summer evening together"),
    ("The interviewer asked when I could start.", "a hint of a job offer"),
    ("My old roommate recognised me across the station and ran over.", "a reunion"),
    ("The heating came back on an hour after I called.", "a quick fix"),
    ("The bike shop put new brakes on my bike for the price of a coffee.", "free repair"),
    ("The garden we planted together is now full of bees and tall sunflowers.", "a garden thrives"),
    ("My grandfather still beats me at chess every Sunday.", "an elderly relative still sharp"),
    ("The landlord returned our whole deposit on the day we moved out.", "deposit returned in full"),
    ("My daughter took her first steps across the kitchen floor today.", "a child's first steps"),
]
IMPLICIT_NEGATIVE = [
    ("The waiter brought our food after two hours.", "a very long wait"),
    ("I was on hold for ninety minutes and then the call dropped.", "time spent for nothing"),
    ("The airline called off my flight and the next seat is on Thursday.", "travel cancelled"),
    ("The landlord raised the rent for the third time this year.", "repeated rent rises"),
    ("The package arrived with a hole in the box and half the parts gone.", "a delivery arrives incomplete"),
    ("The heating has been off since Monday and the kids sleep in their coats.", "a cold home"),
    ("The mechanic kept my car for three weeks and it still makes the same noise.", "a repair that did nothing"),
    ("My phone screen cracked the day after I bought it.", "new purchase broken"),
    ("The hotel room was next to the lift and faced a wall.", "a room with no view by the lift"),
    ("My manager put his own name on the report I wrote.", "credit taken"),
    ("The bus drove past me while I waved at it from the kerb.", "left at the stop"),
    ("My sister forgot my birthday again.", "forgotten by family"),
    ("The doctor looked at the screen the entire appointment and never at me.", "a doctor who did not listen"),
    ("The shower ran cold after two minutes.", "no hot water"),
    ("The restaurant billed us for dishes we never ordered.", "overcharged"),
    ("My roommate ate the leftovers I had labelled with my name.", "food taken"),
    ("The train sat outside the station for an hour and the driver said nothing.", "a long unexplained halt"),
    ("I studied every night for a month and scored ten points under last time.", "effort with a worse result"),
    ("The new sofa sags in the middle after one week.", "a new purchase wears out"),
    ("Nobody from the team came to my leaving drinks.", "left alone"),
    ("The airline sent my suitcase to another country.", "luggage misrouted"),
    ("My neighbour practises the drums until three in the morning.", "no sleep"),
    ("The repairman left mud across the carpet and the tap still drips.", "mess and no repair"),
    ("The builder took the deposit and has not answered his phone since.", "money taken, builder gone"),
    ("The email said the position had been filled before I applied.", "the job was gone"),
    ("My kids have been coughing since we moved into the damp flat.", "children unwell"),
    ("The bank took forty pounds from me for a payment that was a day late.", "a large fee"),
    ("The ticket machine took my money and printed nothing.", "money taken for nothing"),
    ("My sister read my message and replied a week later with one word.", "a friend's indifference"),
    ("The cake came out of the oven black at the edges and raw in the middle.", "baking gone wrong"),
    ("The tenants left the flat with holes in the walls and the rent unpaid.", "property left in ruins"),
    ("My laptop shut down in the middle of the exam and the file was gone.", "work vanished"),
    ("The taxi driver took the long way and doubled the fare.", "overcharged by a detour"),
    ("I have sent the same form to the council four times.", "bureaucracy"),
    ("The plants I watered all summer were brown by the first week of autumn.", "effort wasted"),
    ("My son's school has been without a maths teacher since September.", "a child without a teacher"),
    ("The internet drops out every evening at eight.", "unreliable service"),
    ("My wallet was gone by the time I got off the train.", "wallet taken"),
    ("The hospital moved my operation back another six months.", "treatment postponed"),
    ("The paint started peeling off the walls a month after the decorators left.", "poor work"),
    ("My boss scheduled the meeting during my only day off.", "a day off taken away"),
    ("The tour guide spent the day on his phone and skipped half the sights.", "a tour cut short"),
    ("The hotel pool was closed for the whole week of our stay.", "a paid-for facility unavailable"),
    ("My coat came back from the laundry two sizes smaller.", "clothing shrunk"),
    ("My car was towed while I was inside paying for parking.", "car towed"),
    ("The delivery driver left the fridge at the bottom of five flights of stairs.", "delivery left at the door"),
    ("The landlord has not replied to my messages about the damp since May.", "a landlord who does not answer"),
    ("My team finished last for the fourth season running.", "last place again"),
    ("The seat I paid extra for turned out to be next to the toilets.", "paid more for a worse seat"),
    ("The kitchen tap has dripped all night for a month.", "a repair never done"),
    ("My brother borrowed my car and returned it with a dent in the door.", "property returned worse"),
    ("The concert started two hours late and the speakers went silent twice.", "a show that went wrong"),
    ("The dog chewed through the cable of my new headphones.", "new headphones chewed"),
    ("I spent the whole weekend on forms that the office then sent back unread.", "a weekend of work unread"),
    ("The fridge gave out the day after the warranty ran out.", "a breakdown just out of warranty"),
    ("My train home was the last one of the night and it never came.", "stranded"),
    ("We drove four hours to the beach and it rained the whole time.", "a trip rained out"),
    ("The coffee machine at work has been out of order for three weeks.", "a long-standing breakdown"),
    ("My flatmate moved out overnight and left me with the whole rent.", "left with the bill"),
    ("My appointment was moved for the fifth time with one hour's notice.", "repeated rescheduling"),
    ("The swings at the park stood in shards of glass under dark streetlamps.", "a neglected play area"),
    ("The printer jammed on the last page of my application an hour before the deadline.", "a breakdown at the worst time"),
]

# (text, label): the first clause says the opposite of the clause after "but", which decides the label
CONTRAST = [
    ("The food was delicious, but we waited two hours and the waiter was rude.", "negative"),
    ("I love my job, but my boss makes every day miserable.", "negative"),
    ("The hotel looked beautiful online, but the room was dirty and noisy.", "negative"),
    ("The first half of the film was great, but the ending ruined the whole thing.", "negative"),
    ("My new phone has a lovely screen, but the battery dies by lunchtime and I regret buying it.", "negative"),
    ("The teacher is kind, but her lessons are so dull that I dread every class.", "negative"),
    ("The beach was pretty, but the water was polluted and we got sick.", "negative"),
    ("The concert started well, but the sound was awful and we left early.", "negative"),
    ("I was excited about the trip, but the whole week was a disaster.", "negative"),
    ("The apartment is bright and spacious, but the landlord is a nightmare.", "negative"),
    ("The staff were friendly, but the treatment left me in worse pain than before.", "negative"),
    ("The car looks amazing, but it breaks down every month and I hate driving it.", "negative"),
    ("The cake looked perfect, but it tasted awful.", "negative"),
    ("The course had good reviews, but it was a complete waste of money.", "negative"),
    ("My colleagues are nice, but the endless overtime is crushing me.", "negative"),
    ("The garden was lovely in spring, but the summer drought killed everything.", "negative"),
    ("The book had a brilliant opening, but the rest was boring and confusing.", "negative"),
    ("The jacket was cheap, but it fell apart after one wash and I felt cheated.", "negative"),
    ("I enjoyed the first week of the course, but the rest was stressful and pointless.", "negative"),
    ("The wedding was beautiful, but the fight afterwards left everyone upset.", "negative"),
    ("The new game has great graphics, but it is so broken that playing it is frustrating.", "negative"),
    ("The city is famous for its charm, but we felt unsafe and unwelcome the whole time.", "negative"),
    ("The doctor was polite, but she dismissed my symptoms and I left feeling worse.", "negative"),
    ("The kitchen is modern and clean, but the food was bland and disappointing.", "negative"),
    ("The flight attendants were helpful, but the delay ruined our holiday.", "negative"),
    ("My neighbour means well, but his constant complaints drive me crazy.", "negative"),
    ("The campsite was peaceful, but the cold and the rain made it a miserable night.", "negative"),
    ("The trail had wonderful views, but I sprained my ankle and spent the day in agony.", "negative"),
    ("The gym is well equipped, but the trainers are rude and the fees are outrageous.", "negative"),
    ("The museum has a fascinating collection, but the crowds made the visit unbearable.", "negative"),
    ("The restaurant had a lovely terrace, but the fish made me ill.", "negative"),
    ("My manager praised my report, but she gave the promotion to someone else and I feel betrayed.", "negative"),
    ("The software is powerful, but the constant crashes make it useless.", "negative"),
    ("The party was fun at first, but it ended with a fight and a broken window.", "negative"),
    ("The train was comfortable, but it broke down and we were stuck for hours in awful heat.", "negative"),
    ("The music was great, but the crowd was aggressive and I felt scared.", "negative"),
    ("The puppy is adorable, but he has destroyed the sofa and I am exhausted.", "negative"),
    ("The interview went well, but they rejected me without any feedback.", "negative"),
    ("The shoes are stylish, but they hurt so much that I can barely walk.", "negative"),
    ("The holiday cottage was charming, but it was full of ants and the owner was hostile.", "negative"),
    ("I admire the author, but this novel was dull and lifeless.", "negative"),
    ("The festival had a great lineup, but the organisation was a total mess.", "negative"),
    ("The coffee shop is cozy, but the coffee is bitter and overpriced.", "negative"),
    ("My brother is generous, but his lies have hurt the whole family.", "negative"),
    ("The apartment had a nice view, but the mould made my children sick.", "negative"),
    ("The lecture started with a funny story, but the rest was tedious and confusing.", "negative"),
    ("The team played well early on, but the collapse in the second half was embarrassing.", "negative"),
    ("The salon was elegant, but they ruined my hair and I cried on the way home.", "negative"),
    ("The update promised better speed, but my laptop is slower and more frustrating than ever.", "negative"),
    ("The hosts were warm, but the food poisoning ruined the rest of our trip.", "negative"),
    ("The job pays well, but the stress is destroying my health.", "negative"),
    ("The park is beautiful, but it is full of litter and feels dangerous at night.", "negative"),
    ("The play had talented actors, but the script was painfully bad.", "negative"),
    ("I was hopeful about the new treatment, but it failed and the side effects were terrible.", "negative"),
    ("The rental desk was friendly, but they charged us hidden fees and lied about insurance.", "negative"),
    ("The mattress felt soft in the store, but it gives me terrible back pain every morning.", "negative"),
    ("The first date was pleasant, but he was cruel to the waiter and I left disgusted.", "negative"),
    ("The neighbourhood seemed charming, but the noise and crime make us miserable.", "negative"),
    ("The school has a good reputation, but my son is bullied and unhappy there.", "negative"),
    ("The headphones sound great, but they broke within a week and support ignored me.", "negative"),
    ("The flight was delayed, but the crew was wonderful and we arrived happy.", "positive"),
    ("The hike was exhausting, but the view from the top was breathtaking.", "positive"),
    ("I was nervous before the exam, but I passed with the best grade in my class.", "positive"),
    ("The hotel lobby was shabby, but our room was spotless and the staff were lovely.", "positive"),
    ("The first week at the new job was hard, but now I love my team.", "positive"),
    ("The restaurant was noisy, but the food was outstanding.", "positive"),
    ("The surgery was painful, but my recovery has been smooth and I feel great.", "positive"),
    ("The weather was awful, but we had the best time of our lives.", "positive"),
    ("The film starts slowly, but the ending is brilliant and moving.", "positive"),
    ("The rent is high, but the flat is beautiful and I am happy here.", "positive"),
    ("The course was tough, but I learned more than in any other class and enjoyed it.", "positive"),
    ("My car broke down on the way, but a kind stranger helped and we made it in time.", "positive"),
    ("The queue was long, but the concert was worth every minute.", "positive"),
    ("I was sad to leave my old city, but the new one has been wonderful.", "positive"),
    ("The puppy chewed my shoes, but he is the sweetest companion I have ever had.", "positive"),
    ("The move was stressful, but our new neighbours have been incredibly welcoming.", "positive"),
    ("The cake cracked in the oven, but it tasted amazing and everyone loved it.", "positive"),
    ("I was scared of the dentist, but she was gentle and kind.", "positive"),
    ("The start of the season was terrible, but the team finished as champions.", "positive"),
    ("The hospital food was bland, but the nurses were kind and I felt cared for.", "positive"),
    ("Our road trip began with a flat tyre, but it was still the most fun we have had in years.", "positive"),
    ("The apartment is small, but it is bright, cozy and perfect for us.", "positive"),
    ("I failed my driving test twice, but I passed today and I am thrilled.", "positive"),
    ("The book is long, but it is gripping and beautifully written.", "positive"),
    ("The rain soaked our tent, but the sunrise the next morning was glorious.", "positive"),
    ("The lecture hall was cold, but the talk was inspiring.", "positive"),
    ("The first draft was a mess, but the final version won an award.", "positive"),
    ("My phone is old, but it still works perfectly and I love it.", "positive"),
    ("The wedding started late, but it was a joyful and beautiful day.", "positive"),
    ("The game was frustrating at first, but once I learned the rules it became a delight.", "positive"),
    ("The bus was crowded, but a friendly stranger offered me a seat and made my day.", "positive"),
    ("My kitchen renovation ran over budget, but the result is stunning.", "positive"),
    ("The interview was intimidating, but they offered me the job and I am delighted.", "positive"),
    ("The neighbourhood looked rough, but the people are warm and generous.", "positive"),
    ("The plane food was dreadful, but the holiday itself was perfect.", "positive"),
    ("Training was painful, but finishing the marathon was the proudest moment of my life.", "positive"),
    ("The museum was hard to find, but the exhibition was fascinating.", "positive"),
    ("The shoes felt stiff at first, but now they are the most comfortable pair I own.", "positive"),
    ("The project was chaotic, but we delivered it on time and the client was thrilled.", "positive"),
    ("I was lonely in my first month, but now I have wonderful friends here.", "positive"),
    ("The cafe is tiny, but the coffee is excellent and the staff are cheerful.", "positive"),
    ("The ferry ride was rough, but the island was paradise.", "positive"),
    ("My grandmother was ill last winter, but she is healthy and strong again.", "positive"),
    ("The laptop is heavy, but it is fast and reliable and I am glad I bought it.", "positive"),
    ("The play had a shaky start, but the second act was superb.", "positive"),
    ("The storm knocked out the power, but we had a lovely evening by candlelight.", "positive"),
    ("The hotel was far from the centre, but it was peaceful and the breakfast was delicious.", "positive"),
    ("The tax forms were confusing, but the advisor was patient and helpful.", "positive"),
    ("I was angry about the delay, but the airline apologised and gave us a generous refund.", "positive"),
    ("My audition was shaky, but they loved my voice and gave me the lead role.", "positive"),
    ("The garden was a mess when we arrived, but now it is full of beautiful flowers.", "positive"),
    ("The training was boring, but the job itself is rewarding and fun.", "positive"),
    ("The first night in the tent was miserable, but the rest of the trip was fantastic.", "positive"),
    ("The recipe looked complicated, but the dish was easy and delicious.", "positive"),
    ("The walk was muddy, but the waterfall at the end was magnificent.", "positive"),
    ("The negotiations were tense, but we reached a fair deal and everyone was satisfied.", "positive"),
    ("The crowd was noisy, but the band was brilliant and I smiled all night.", "positive"),
    ("The sofa was expensive, but it is comfortable and worth every penny.", "positive"),
    ("My first attempt at bread was a disaster, but the second loaf was perfect.", "positive"),
    ("The school is strict, but my daughter is thriving and happy there.", "positive"),
]


def negation_rows() -> list[dict]:
    rows = []
    for i, (pos, neg, word) in enumerate(NEGATED_POSITIVE + NEGATED_NEGATIVE):
        pair = f"negation-{i:03d}"
        if i < len(NEGATED_POSITIVE):
            notes = (f"states '{word}' plainly", f"negation cancels '{word}'")
        else:
            notes = (f"negation cancels the complaint '{word}'", f"states the complaint '{word}' plainly")
        rows += [{"id": f"{pair}-pos", "pair": pair, "text": pos, "label": "positive", "note": notes[0]},
                 {"id": f"{pair}-neg", "pair": pair, "text": neg, "label": "negative", "note": notes[1]}]
    return rows


def implicit_rows() -> list[dict]:
    rows = []
    for label, items in (("positive", IMPLICIT_POSITIVE), ("negative", IMPLICIT_NEGATIVE)):
        rows += [{"id": f"implicit-{label[:3]}-{i:03d}", "text": t, "label": label, "note": why}
                 for i, (t, why) in enumerate(items)]
    return rows


def contrast_rows() -> list[dict]:
    opposite = {"positive": "negative", "negative": "positive"}
    return [{"id": f"contrast-{i:03d}", "text": t, "label": label,
             "note": f"{opposite[label]} first clause, {label} clause after 'but' decides"}
            for i, (t, label) in enumerate(CONTRAST)]


SETS = {"negation": negation_rows, "implicit": implicit_rows, "contrast": contrast_rows}


def main() -> None:
    out = HERE / "probe_sets"
    out.mkdir(exist_ok=True)
    for name, make in SETS.items():
        (out / f"{name}.jsonl").write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in make()))


if __name__ == "__main__":
    main()
