"""Internal HTTP routes of the gateway service; the routes arrive with the context's issue."""

from fastapi import APIRouter

router = APIRouter(prefix="/internal/gateway", tags=["gateway"])
