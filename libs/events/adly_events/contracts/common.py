"""Value types shared by several contexts' payloads."""

from decimal import Decimal
from enum import StrEnum

from pydantic import BaseModel, ConfigDict, Field


class Contract(BaseModel):
    """Base of every payload: immutable, and unknown fields are an error, not a surprise."""

    model_config = ConfigDict(frozen=True, extra="forbid")


class Money(Contract):
    """An exact amount in a currency; never a float."""

    amount: Decimal = Field(description="Decimal string, e.g. \"49.90\".")
    currency: str = Field(pattern=r"^[A-Z]{3}$", description="ISO 4217 code.")


class AdPlatform(StrEnum):
    META = "meta"
    TIKTOK = "tiktok"
    SNAPCHAT = "snapchat"
    GOOGLE_ADS = "google_ads"
