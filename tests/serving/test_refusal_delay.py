import time

import pytest

from serving import refusal_delay
from serving.refusal_delay import RefusalDelay


def test_a_refusal_is_held_for_the_delay():
    delay = RefusalDelay(0.05, max_held=1)
    start = time.perf_counter()
    assert delay.hold()
    assert time.perf_counter() - start >= 0.05


def test_no_delay_answers_at_once():
    assert not RefusalDelay(0.0, max_held=4).hold()


def test_refusals_beyond_max_held_are_answered_at_once(monkeypatch):
    delay = RefusalDelay(0.5, max_held=1)
    inner = []
    # While the first refusal is held (inside its sleep), a second one finds no free slot.
    monkeypatch.setattr(refusal_delay.time, "sleep", lambda seconds: inner.append(delay.hold()))
    assert delay.hold() and inner == [False]
    assert delay.hold() and inner == [False, False]  # the slot was released after each hold


@pytest.mark.parametrize("seconds, held, words", [(-1, 1, "delay_seconds"), (0.1, 0, "max_held")])
def test_bad_arguments_are_refused(seconds, held, words):
    with pytest.raises(ValueError, match=words):
        RefusalDelay(seconds, held)
