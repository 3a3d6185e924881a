"""What notifies whom: the table of docs/notifications.md as data.

Each kind names the event it comes from, the roles told by default, whether a member may
turn it off, its channels, and the feed's words in English and Arabic. The words name
`{params}` the intake fills (a notice's `params`); `domain/feed.py` renders them.
"""

from __future__ import annotations

from dataclasses import dataclass

from adly_events.contracts.auth import WorkspaceRole as Role

CHANNELS = ("feed", "email")
LANGUAGES = ("en", "ar")

EVERYONE = frozenset(Role)
OWNERS = frozenset({Role.OWNER})
MANAGERS = frozenset({Role.OWNER, Role.ADMIN})
MAKERS = frozenset({Role.OWNER, Role.ADMIN, Role.MARKETER})


@dataclass(frozen=True)
class Words:
    title: str
    body: str


@dataclass(frozen=True)
class Kind:
    name: str
    source: str                        # the consumed event type, e.g. "SyncFailed"; "" for the digest
    roles: frozenset[Role]             # told by default
    mutable: bool                      # may a member turn it off
    words: dict[str, Words]            # language -> words with {params}
    channels: tuple[str, ...] = CHANNELS
    # A `data` field naming one more member to tell beside the roles (the new member).
    also_tells: str | None = None


def _kind(name: str, source: str, roles: frozenset[Role], mutable: bool, en: tuple[str, str], ar: tuple[str, str],
          also_tells: str | None = None, channels: tuple[str, ...] = CHANNELS) -> Kind:
    return Kind(name, source, roles, mutable, {"en": Words(*en), "ar": Words(*ar)}, channels, also_tells)


TABLE = [
    _kind("sync.failed", "SyncFailed", MAKERS, True,
          ("A store sync failed", "Syncing your store stopped: {reason}"),
          ("فشلت مزامنة المتجر", "توقفت مزامنة متجرك: {reason}")),
    _kind("store.disconnected", "StoreDisconnected", MANAGERS, False,
          ("Your {platform} store was disconnected", "ADLY no longer reaches it ({reason}). Connect it again to "
                                                     "resume syncing."),
          ("انقطع اتصال متجرك على {platform}", "لم يعد ADLY يصل إلى متجرك ({reason}). اربطه من جديد لتستأنف "
                                               "المزامنة.")),
    _kind("creative.ready", "CreativeGenerated", MAKERS, True,
          ("Your creatives are ready", "{assets} assets and {copies} ad copies are ready to review."),
          ("إعلاناتك جاهزة", "{assets} من الصور والمقاطع و{copies} من النصوص الإعلانية جاهزة للمراجعة.")),
    _kind("creative.failed", "CreativeGenerationFailed", MAKERS, True,
          ("Creative generation failed", "{reason}"),
          ("تعذّر إنشاء الإعلانات", "{reason}")),
    _kind("campaign.awaiting_approval", "CreativesReceived", MANAGERS, False,
          ("A campaign awaits your approval", "{ads} ads are ready for your review."),
          ("حملة بانتظار موافقتك", "{ads} من الإعلانات جاهزة لمراجعتك.")),
    _kind("campaign.published", "CampaignPublished", MAKERS, True,
          ("Your campaign is live on {platform}", "The platform accepted it; its ads will start showing soon."),
          ("حملتك تعمل الآن على {platform}", "قبلت المنصة الحملة، وستبدأ إعلاناتها بالظهور قريبًا.")),
    _kind("campaign.publish_failed", "CampaignPublishFailed", MAKERS, False,
          ("Publishing to {platform} failed", "{reason}"),
          ("تعذّر النشر على {platform}", "{reason}")),
    _kind("ad.disapproved", "AdReviewChanged", MAKERS, False,
          ("{platform} disapproved an ad", "{reason}"),
          ("رفضت {platform} أحد الإعلانات", "{reason}")),
    _kind("ad_account.access_lost", "AdAccountAccessLost", MANAGERS, False,
          ("ADLY lost access to your {platform} ad account", "{reason} Reconnect the account to publish again."),
          ("فقد ADLY صلاحية الوصول إلى حسابك الإعلاني على {platform}", "{reason} أعد ربط الحساب لتنشر من جديد.")),
    _kind("member.invited", "MemberAdded", OWNERS, True,
          ("A member joined as {role}", "Someone joined the workspace as {role}."),
          ("انضم عضو بدور {role}", "انضم شخص إلى مساحة العمل بدور {role}."),
          also_tells="user_id"),
    _kind("member.removed", "MemberRemoved", OWNERS, True,
          ("A member left the workspace", "A member was removed and no longer has access."),
          ("غادر عضو مساحة العمل", "أُزيل أحد الأعضاء ولم يعد بإمكانه الوصول.")),
    _kind("rule.fired", "RuleFired", MAKERS, True,
          ("Rule “{rule}” fired", "{action}. {reasoning}"),
          ("نُفّذت القاعدة «{rule}»", "{action}. {reasoning}")),
    _kind("webhook.disabled", "WebhookEndpointDisabled", MANAGERS, False,
          ("A webhook endpoint was disabled", "It kept failing since {failing_since} ({reason}). Enable it again "
                                              "once it answers."),
          ("أُوقفت نقطة استقبال Webhook", "ظلت تفشل منذ {failing_since} ({reason}). فعّلها من جديد عندما تستجيب.")),
    # Not from an event: the digest scheduler queues it when each member's own morning comes
    # (handlers/mail.py). By email only; everyone, analysts too, as it is their daily reading.
    _kind("digest.daily", "", EVERYONE, True,
          ("Your daily performance digest", "What your campaigns spent and earned yesterday."),
          ("ملخص أدائك اليومي", "ما أنفقته حملاتك وما حققته أمس."), channels=("email",)),
]

KINDS: dict[str, Kind] = {kind.name: kind for kind in TABLE}
BY_SOURCE: dict[str, Kind] = {kind.source: kind for kind in TABLE if kind.source}
