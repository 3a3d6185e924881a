"""The vocabulary of the catalog API: its adapters, who may do what (docs/identity.md), and
what a platform's failure means to the merchant."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Annotated

from fastapi import Depends

from adly_catalog.adapters.container import Adapters
from adly_catalog.domain.errors import PlatformFailed, PlatformRefused, StoreRefusedCredentials
from adly_catalog.domain.platform import CredentialsRejected, PlatformError
from adly_kit.app import adapters
from adly_kit.identity import workspace_permission
from adly_kit.outbound import OutboundError

AdaptersDep = Annotated[Adapters, Depends(adapters)]
StoresRead = workspace_permission("stores.read")
StoresConnect = workspace_permission("stores.connect")
StoresDisconnect = workspace_permission("stores.disconnect")
StoresSync = workspace_permission("stores.sync")


@contextmanager
def platform_errors() -> Iterator[None]:
    """What went wrong with the platform, said so the merchant can act on it."""
    try:
        yield
    except CredentialsRejected as error:
        raise StoreRefusedCredentials(f"The store refused ADLY's credentials: {error.message}") from None
    except PlatformError as error:
        failed = PlatformFailed if error.retryable else PlatformRefused
        raise failed(f"The store platform answered: {error.message}") from None
    except OutboundError as error:
        raise PlatformFailed(f"The store could not be reached: {error}") from None
