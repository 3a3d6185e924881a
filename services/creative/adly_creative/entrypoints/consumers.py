"""Subscriptions of the creative service to event topics, each under its own consumer group."""

from adly_kit.service import Subscription

subscriptions: list[Subscription] = []
