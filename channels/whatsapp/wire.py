"""Shapes of what Meta sends us and what we send the Graph API (as Meta documents them).

Incoming bodies are untrusted JSON until ``inbound`` has checked them; these types describe
what a well-formed one holds. ``total=False``: Meta leaves out what does not apply.
"""

from __future__ import annotations

from typing import Any, Dict, List, TypedDict


class Profile(TypedDict, total=False):
    name: str


class Contact(TypedDict, total=False):
    profile: Profile
    wa_id: str


class MediaObject(TypedDict, total=False):
    id: str
    mime_type: str
    sha256: str
    caption: str
    filename: str
    voice: bool
    animated: bool


class InboundMessage(TypedDict, total=False):
    """One customer message: ``type`` names the field holding its content."""

    id: str
    to: str
    timestamp: str
    type: str
    text: Dict[str, str]
    interactive: Dict[str, Any]
    button: Dict[str, str]
    image: MediaObject
    audio: MediaObject
    video: MediaObject
    document: MediaObject
    sticker: MediaObject
    location: Dict[str, Any]
    contacts: List[Dict[str, Any]]
    reaction: Dict[str, str]
    context: Dict[str, Any]
    errors: List[Dict[str, Any]]
    system: Dict[str, Any]
    referral: Dict[str, Any]


class StatusError(TypedDict, total=False):
    code: int
    title: str
    message: str
    error_data: Dict[str, Any]


class Status(TypedDict, total=False):
    """What became of a message we sent."""

    id: str
    status: str  # sent, delivered, read, failed
    timestamp: str
    recipient_id: str
    errors: List[StatusError]


class ChangeValue(TypedDict, total=False):
    messaging_product: str
    metadata: Dict[str, str]  # display_phone_number, phone_number_id
    contacts: List[Contact]
    messages: List[InboundMessage]
    statuses: List[Status]


class Change(TypedDict, total=False):
    field: str
    value: ChangeValue


class Entry(TypedDict, total=False):
    id: str
    changes: List[Change]


class WebhookBody(TypedDict, total=False):
    object: str  # "whatsapp_business_account"
    entry: List[Entry]


class GraphMessage(TypedDict, total=False):
    """The body of ``POST /{version}/{phone_number_id}/messages``."""

    messaging_product: str  # "whatsapp"
    recipient_type: str
    to: str
    type: str  # text, interactive, image, document, template ...
    text: Dict[str, Any]
    interactive: Dict[str, Any]
    image: Dict[str, Any]
    document: Dict[str, Any]
    video: Dict[str, Any]
    audio: Dict[str, Any]
    template: Dict[str, Any]
    context: Dict[str, str]


class GraphError(TypedDict, total=False):
    """``{"error": {...}}`` of a failed Graph API call."""

    message: str
    type: str
    code: int
    error_subcode: int
    error_data: Dict[str, Any]
    fbtrace_id: str


class MediaInfo(TypedDict, total=False):
    """``GET /{version}/{media_id}``: where to download a customer's media."""

    url: str
    mime_type: str
    sha256: str
    file_size: Any
    id: str
