"""Internal HTTP routes of the analytics service; the routes arrive with the context's issue."""

from fastapi import APIRouter

router = APIRouter(prefix="/internal/analytics", tags=["analytics"])
