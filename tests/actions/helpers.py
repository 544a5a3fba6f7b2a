"""Runs actions the way the action server does, and reads what they said and did."""

from __future__ import annotations

import asyncio
from typing import Any, Dict, List, Tuple

from rasa_sdk import Action, Tracker
from rasa_sdk.executor import CollectingDispatcher

DOMAIN: Dict[str, Any] = {}


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
