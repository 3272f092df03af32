from affectlab.sampling import assistant_turns, split_think


def test_closed_think_block_splits_into_think_and_answer():
    s = split_think("<think>\nplan it\n</think>\n\nThe answer.")
    assert (s.think, s.response, s.has_think, s.unclosed_think) == ("plan it", "The answer.", True, False)


def test_answer_without_think_block_is_all_response():
    s = split_think("Just an answer.")
    assert (s.think, s.response, s.has_think, s.unclosed_think) == ("", "Just an answer.", False, False)


def test_unclosed_think_is_all_think_with_an_empty_answer():
    s = split_think("<think>still thinking when the generation stopped")
    assert (s.think, s.response, s.has_think, s.unclosed_think) == (
        "still thinking when the generation stopped", "", True, True)


def test_closing_tag_without_opening_tag_marks_what_precedes_it_as_think():
    s = split_think("reasoning here</think>final")
    assert (s.think, s.response, s.has_think) == ("reasoning here", "final", True)


def test_text_before_the_think_block_stays_in_the_answer_and_none_is_empty():
    assert split_think("Sure. <think>x</think> Done.").response == "Sure.  Done."
    assert split_think(None).response == ""


def test_assistant_turn_selection_first_last_all():
    msgs = [{"role": "system", "content": "s"}, {"role": "user", "content": "u1"},
            {"role": "assistant", "content": "a1"}, {"role": "user", "content": "u2"},
            {"role": "assistant", "content": None}]
    assert assistant_turns(msgs, "first") == [(0, "a1")]
    assert assistant_turns(msgs, "last") == [(1, "")]
    assert assistant_turns(msgs, "all") == [(0, "a1"), (1, "")]
    assert assistant_turns([{"role": "user", "content": "u"}], "last") == []
    assert assistant_turns(None, "all") == []
