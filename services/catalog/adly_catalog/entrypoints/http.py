"""Internal HTTP routes of the catalog service; the routes arrive with the context's issue."""

from fastapi import APIRouter

router = APIRouter(prefix="/internal/catalog", tags=["catalog"])
