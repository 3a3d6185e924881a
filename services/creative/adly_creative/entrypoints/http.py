"""Internal HTTP routes of the creative service; the routes arrive with the context's issue."""

from fastapi import APIRouter

router = APIRouter(prefix="/internal/creative", tags=["creative"])
