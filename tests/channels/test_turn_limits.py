"""A turn cannot spin forever: Rasa's circuit breaker does not count actions whose events a
revert undoes, so a policy that keeps predicting such an action would hang the server. Our
turns stop predicting after a fixed number of predictions, as Rasa's breaker would."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from rasa.exceptions import ActionLimitReached

from channels import turns


class SpinningProcessor:
    """Stands in for Rasa's processor: predicts forever when asked."""

    def __init__(self) -> None:
        self.predictions = 0

    def predict_next_with_tracker_if_should(self, tracker: Any) -> str:
        self.predictions += 1
        return "action_two_stage_fallback"


class Sender:
    sender_id = "spinning"


def test_a_turn_stops_predicting_after_the_limit() -> None:
    processor = SpinningProcessor()
    turns.limit_predictions(processor)
    token = turns._predictions.set([0])
    try:
        with pytest.raises(ActionLimitReached):
            for _ in range(1000):
                processor.predict_next_with_tracker_if_should(Sender())
    finally:
        turns._predictions.reset(token)
    assert processor.predictions == turns.MAX_PREDICTIONS_PER_TURN


def test_outside_a_turn_predictions_are_not_limited() -> None:
    processor = SpinningProcessor()
    turns.limit_predictions(processor)
    turns.limit_predictions(processor)  # installing twice wraps once
    for _ in range(turns.MAX_PREDICTIONS_PER_TURN * 3):
        processor.predict_next_with_tracker_if_should(Sender())
    assert processor.predictions == turns.MAX_PREDICTIONS_PER_TURN * 3
    asyncio.run(asyncio.sleep(0))
