"""Settings every service reads from its environment (pydantic-settings)."""

from __future__ import annotations

import re
from typing import Literal

from pydantic import AliasChoices, Field, SecretStr, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

BrokerKind = Literal["kafka", "tansu"]
Environment = Literal["development", "test", "production"]

# Development defaults so `make run` works with no setup; refused in production.
DEV_IDENTITY_KEY = "dev-only-internal-identity-key-not-for-production"
DEV_ENCRYPTION_KEYS = "dev1:ZGV2LW9ubHktYWVzLTI1Ni1rZXktMzItYnl0ZXMhISE="


class ServiceSettings(BaseSettings):
    """Production values are the defaults; development overrides are opt-in and named."""

    model_config = SettingsConfigDict(env_prefix="ADLY_", extra="ignore")

    service_name: str
    environment: Environment = "development"
    internal_identity_key: SecretStr = SecretStr(DEV_IDENTITY_KEY)
    encryption_keys: SecretStr = SecretStr(DEV_ENCRYPTION_KEYS)
    database_url: str = Field(validation_alias=AliasChoices("ADLY_DATABASE_URL", "DATABASE_URL"))
    database_schema: str | None = None
    # The most connections a process's engine holds, all kept open once opened (the maximum
    # was the same before: 10 kept and 10 more opened and closed again per burst).
    database_pool_size: int = 20
    kafka_bootstrap_servers: str = Field(
        validation_alias=AliasChoices("ADLY_KAFKA_BOOTSTRAP_SERVERS", "KAFKA_BOOTSTRAP_SERVERS")
    )
    # `tansu` is the development override for the embedded broker, which lacks the
    # idempotent producer (no InitProducerId) and has a single node. Never in production.
    kafka_broker_kind: BrokerKind = "kafka"
    topic_partitions: int = 12
    topic_replication_factor: int = 3
    topic_min_insync_replicas: int = 2
    http_host: str = "127.0.0.1"
    http_port: int = 8000
    # Requests a process works on at once; more wait their turn (adly_kit.active_requests).
    # 8 is the fewest that kept auth's own throughput in the benchmark with 16 clients (4
    # lost a quarter of it: too few to cover the waits on Postgres). 0: no limit.
    http_max_active_requests: int = 8
    # Prometheus metrics: on the app's own port at /metrics when unset (a service port only
    # the gateway and Prometheus reach); on a listener of their own, and not on the app, when
    # set (0: the OS picks, and the log says which). The gateway's port is public, so the
    # gateway always uses a listener of its own.
    metrics_host: str = "127.0.0.1"
    metrics_port: int | None = None
    # `adly-dev run --sandbox` (docs/sandbox.md): local fake platforms stand in for the real
    # ones; every answer says so. Refused in production.
    sandbox: bool = False
    log_level: str = "INFO"
    # The collector's young-generation threshold once the process has started
    # (`adly_kit.cli.quieter_garbage_collection`); the catalog raises it for its syncs.
    gc_young_threshold: int = Field(default=50_000, ge=700)
    relay_batch_size: int = 2000
    consumer_max_retries: int = 3
    consumer_retry_backoff_seconds: float = 0.2
    consumer_fetch_max_wait_ms: int | None = None

    @field_validator("database_url")
    @classmethod
    def _async_driver(cls, url: str) -> str:
        return re.sub(r"^postgres(ql)?(\+\w+)?://", "postgresql+asyncpg://", url)

    @model_validator(mode="after")
    def _no_dev_secrets_in_production(self) -> ServiceSettings:
        if self.environment == "production":
            if self.sandbox:
                raise ValueError("ADLY_SANDBOX is for local development: refused in production")
            if self.internal_identity_key.get_secret_value() == DEV_IDENTITY_KEY:
                raise ValueError("set ADLY_INTERNAL_IDENTITY_KEY: the development key is refused in production")
            if self.encryption_keys.get_secret_value() == DEV_ENCRYPTION_KEYS:
                raise ValueError("set ADLY_ENCRYPTION_KEYS: the development key is refused in production")
            if len(self.internal_identity_key.get_secret_value()) < 32:
                raise ValueError("ADLY_INTERNAL_IDENTITY_KEY must be at least 32 characters")
        return self

    @property
    def schema(self) -> str:
        schema = self.database_schema or self.service_name
        if not re.fullmatch(r"[a-z_][a-z0-9_]{0,62}", schema):
            raise ValueError(f"not a safe schema name: {schema!r}")
        return schema

    @property
    def fetch_max_wait_ms(self) -> int:
        """Tansu holds a fetch for the whole wait when records spread over partitions, so the
        embedded broker gets a short one (docs/benchmarks.md); Kafka answers as data arrives."""
        if self.consumer_fetch_max_wait_ms is not None:
            return self.consumer_fetch_max_wait_ms
        return 20 if self.kafka_broker_kind == "tansu" else 100

    @property
    def idempotent_producer(self) -> bool:
        return self.kafka_broker_kind == "kafka"

    @property
    def asyncpg_dsn(self) -> str:
        return self.database_url.replace("postgresql+asyncpg://", "postgresql://", 1)
