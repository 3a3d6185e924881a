"""Subscriptions of the gateway to auth's topics: the identity read model, one consumer group each."""

from adly_gateway.handlers.read_model import on_api_key_event, on_session_event, on_workspace_event
from adly_kit.service import Subscription

subscriptions: list[Subscription] = [
    Subscription("workspaces", ["adly.auth.workspace"], on_workspace_event),
    Subscription("api_keys", ["adly.auth.api_key"], on_api_key_event),
    Subscription("sessions", ["adly.auth.session"], on_session_event),
]
