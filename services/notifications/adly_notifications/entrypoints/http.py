"""Internal HTTP routes of the notifications service (the gateway routes the public paths here)."""

from fastapi import APIRouter

from adly_notifications.entrypoints import feed_routes, unsubscribe_routes, webhook_routes

router = APIRouter()
router.include_router(webhook_routes.router)
router.include_router(feed_routes.router)
router.include_router(unsubscribe_routes.router)
