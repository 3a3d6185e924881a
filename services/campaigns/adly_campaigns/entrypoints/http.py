"""Internal HTTP routes of the campaigns service; the routes arrive with the context's issue."""

from fastapi import APIRouter

router = APIRouter(prefix="/internal/campaigns", tags=["campaigns"])
