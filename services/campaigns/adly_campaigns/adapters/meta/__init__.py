"""Meta's Marketing API: `MetaPublisher` (AdPublisher), `MetaAccountLink` (AdAccountLink) and
`MetaReports` (PerformanceReader)."""

from adly_campaigns.adapters.meta.client import MetaGraph
from adly_campaigns.adapters.meta.link import MetaAccountLink
from adly_campaigns.adapters.meta.publisher import MetaPublisher
from adly_campaigns.adapters.meta.reports import MetaReports
from adly_campaigns.adapters.meta.settings import DEFAULT_SCOPES, MetaSettings

__all__ = ["DEFAULT_SCOPES", "MetaAccountLink", "MetaGraph", "MetaPublisher", "MetaReports", "MetaSettings"]
