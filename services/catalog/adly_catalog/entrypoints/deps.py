"""The vocabulary of the catalog API: its adapters and who may do what (docs/identity.md)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Annotated

from fastapi import Depends, HTTPException, Request

from adly_catalog.adapters.container import Adapters
from adly_catalog.domain.platform import CredentialsRejected, PlatformError
from adly_catalog.handlers.connecting import ConnectionRefused
from adly_kit.identity import workspace_permission
from adly_kit.outbound import OutboundError


def adapters(request: Request) -> Adapters:
    return request.app.state.catalog


AdaptersDep = Annotated[Adapters, Depends(adapters)]
StoresRead = workspace_permission("stores.read")
StoresConnect = workspace_permission("stores.connect")
StoresDisconnect = workspace_permission("stores.disconnect")
StoresSync = workspace_permission("stores.sync")


@contextmanager
def merchant_errors() -> Iterator[None]:
    """What went wrong with the platform, said so the merchant can act on it."""
    try:
        yield
    except ConnectionRefused as error:
        raise HTTPException(409, str(error)) from None
    except CredentialsRejected as error:
        raise HTTPException(400, f"The store refused ADLY's credentials: {error.message}") from None
    except PlatformError as error:
        raise HTTPException(502 if error.retryable else 400, f"The store platform answered: {error.message}") from None
    except OutboundError as error:
        raise HTTPException(502, f"The store could not be reached: {error}") from None
