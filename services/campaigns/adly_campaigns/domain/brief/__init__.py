"""The brief parser: a merchant's brief in English or Arabic becomes a campaign plan, each
field with where it came from and how sure the parser is, plus questions for what the brief
leaves open (docs/campaigns-brief.md). Offline and deterministic; it never invents a budget.
"""

from adly_campaigns.domain.brief.model import (
    FIELDS,
    BriefContext,
    CatalogItem,
    Finding,
    ParsedBrief,
    Question,
    Span,
)
from adly_campaigns.domain.brief.parser import parse_brief

__all__ = ["FIELDS", "BriefContext", "CatalogItem", "Finding", "ParsedBrief", "Question", "Span", "parse_brief"]
