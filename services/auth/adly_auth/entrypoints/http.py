"""Internal HTTP routes of the auth service; the routes arrive with the context's issue."""

from fastapi import APIRouter

router = APIRouter(prefix="/internal/auth", tags=["auth"])
