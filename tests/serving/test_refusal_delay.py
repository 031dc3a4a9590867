import time

import pytest

from serving import refusal_delay
from serving.refusal_delay import RefusalDelay


def test_a_refusal_is_held_for_the_delay():
    delay = RefusalDelay(50, max_held=1)
    start = time.perf_counter()
    assert delay.hold()
    assert time.perf_counter() - start >= 0.05


def test_no_delay_answers_at_once():
    assert not RefusalDelay(0, max_held=4).hold()


def test_refusals_beyond_max_held_are_answered_at_once(monkeypatch):
    delay = RefusalDelay(500, max_held=1)
    inner = []
    # While the first refusal is held (inside its sleep), a second one finds no free slot.
    monkeypatch.setattr(refusal_delay.time, "sleep", lambda seconds: inner.append(delay.hold()))
    assert delay.hold() and inner == [False]
    assert delay.hold() and inner == [False, False]  # the slot was released after each hold


@pytest.mark.parametrize("delay_ms, held, words", [
    (-1, 1, "--refusal_delay_ms must be >= 0"), (float("nan"), 1, "--refusal_delay_ms"),
    (100, 0, "max_held")])
def test_bad_arguments_are_refused(delay_ms, held, words):
    with pytest.raises(ValueError, match=words):
        RefusalDelay(delay_ms, held)
