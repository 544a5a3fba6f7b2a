"""Runs actions the way the action server does, and reads what they said and did."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any, Dict, List, Tuple

import yaml
from rasa_sdk import Action, Tracker
from rasa_sdk.executor import CollectingDispatcher

# The domain as Rasa sends it to the action server (forms and their required slots matter).
DOMAIN: Dict[str, Any] = yaml.safe_load((Path(__file__).resolve().parents[2] / "domain.yml").read_text())


def run_action(action: Action, tracker: Tracker) -> Tuple[List[str], List[Dict[str, Any]]]:
    """The texts (or response names) the action sent and the events it returned."""
    dispatcher = CollectingDispatcher()
    events = asyncio.run(action.run(dispatcher, tracker, DOMAIN))
    return said(dispatcher), events


def said(dispatcher: CollectingDispatcher) -> List[str]:
    return [m.get("text") or m.get("response") or "" for m in dispatcher.messages]


def slot_values(events: List[Dict[str, Any]]) -> Dict[str, Any]:
    """The last value each slot was set to by ``events``."""
    return {e["name"]: e["value"] for e in events if e.get("event") == "slot"}


def form_turn(tracker: Tracker, candidates: Dict[str, Any]) -> Tracker:
    """``tracker`` as a form's validation action receives it: the slot candidates the
    customer's message filled come last (as Rasa appends them)."""
    tracker.events = tracker.events + [
        {"event": "slot", "name": k, "value": v} for k, v in candidates.items()
    ]
    tracker.slots.update(candidates)
    return tracker


def run_form(form: Action, tracker: Tracker) -> Tuple[List[str], List[Dict[str, Any]]]:
    """Runs a form's validation action for one customer message (see :func:`form_turn`)."""
    return run_action(form, tracker)


def answer(
    form: Action, tracker: Tracker, text: str, *, intent: str = "inform", **candidates: Any
) -> Tuple[Tracker, List[str], Dict[str, Any]]:
    """The customer answers ``text`` (read as ``intent``) while ``form`` is active; returns the
    tracker after the turn (events applied), what the form said and the slots it set."""
    turn = form_turn(_with_user_message(tracker, text, intent), candidates)
    texts, events = run_form(form, turn)
    turn.events = turn.events + events
    turn.slots.update(slot_values(events))
    return turn, texts, slot_values(events)


def _with_user_message(tracker: Tracker, text: str, intent: str = "inform") -> Tracker:
    latest = {"text": text, "intent": {"name": intent, "confidence": 1.0}, "entities": []}
    metadata = next((e.get("metadata") for e in reversed(tracker.events) if e.get("event") == "user"), {})
    tracker.events = tracker.events + [
        {"event": "user", "text": text, "parse_data": latest, "metadata": metadata}
    ]
    tracker.latest_message = latest
    return tracker
