"""One step of a job: ask the providers (through the router), check and store what they
made, and describe it as a StepOutcome for the aggregate to record.

Brand consistency: the same brand kit goes to every modality, and later steps build on
earlier ones: images carry the accepted headline and call to action, the voice-over reads
the copy, the video shows the story image with the copy as captions and plays the voice.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from adly_creative.adapters.container import Adapters
from adly_creative.domain.assets import AssetMeta, describe
from adly_creative.domain.copy_checks import check_copy
from adly_creative.domain.copy_limits import cta_label
from adly_creative.domain.costs import foreign_costs, total_usd
from adly_creative.domain.job import GenerationJob, StepOutcome
from adly_creative.domain.plan import Step
from adly_creative.domain.ports import (
    CopyRequest,
    CopyResult,
    ImageFormat,
    ImageRequest,
    SpeechRequest,
    SpeechResult,
    Usage,
    VideoRequest,
)
from adly_creative.domain.routing import display_name, failure_reason
from adly_creative.handlers.context import JobContext
from adly_creative.handlers.router import AllProvidersFailed, Call, ProviderRouter, Routed, Vet
from adly_events.contracts.common import AdPlatform
from adly_events.contracts.common import Money as MoneyContract
from adly_events.contracts.creative import AdCopy, AssetReference, ProviderUsage

MAX_PHOTO_FRAMES = 2


class StepFailed(Exception):
    """Every provider of the step failed; `reason` is for the merchant."""

    def __init__(self, reason: str, provider: str | None, usages: list[Usage], short: str | None = None) -> None:
        super().__init__(reason)
        self.reason, self.provider, self.usages = reason, provider, usages
        self.short = short or reason   # the failures' own words, for a note

    @property
    def spent_usd(self) -> Decimal:
        return total_usd(self.usages)


@dataclass(frozen=True)
class Made:
    """Bytes a step made, stored, and the metadata row to write with the step's events."""

    meta: AssetMeta
    reference: AssetReference


# What a step made: its outcome for the job's event, and the stored assets to record with it.
Done = tuple[StepOutcome, list[Made]]


def _platform(step: Step) -> AdPlatform:
    if step.platform is None:
        raise ValueError(f"step {step.key} names no platform")
    return step.platform


def _format(step: Step) -> ImageFormat:
    if step.format is None:
        raise ValueError(f"step {step.key} names no image format")
    return step.format


def usage_contract(usage: Usage) -> ProviderUsage:
    return ProviderUsage(provider=usage.provider, model=usage.model, input_tokens=usage.input_tokens,
                         output_tokens=usage.output_tokens, characters=usage.characters, images=usage.images,
                         credits=str(usage.credits), cost=MoneyContract(amount=usage.cost.amount, currency=usage.cost.currency))


class StepRunner:
    def __init__(self, a: Adapters, router: ProviderRouter) -> None:
        self.a, self.router = a, router

    async def run(self, job: GenerationJob, step: Step, ctx: JobContext) -> Done:
        """Make the step's outputs and store their bytes; StepFailed when no provider could."""
        kinds: dict[str, Callable[[GenerationJob, Step, JobContext], Awaitable[Done]]] = {
            "copy": self._copy, "image": self._image, "voice": self._voice, "video": self._video}
        return await kinds[step.kind](job, step, ctx)

    async def _route(self, step: Step, ctx: JobContext, call: Call, vet: Vet | None = None) -> Routed:
        try:
            return await self.router.run(step.modality, ctx.candidates(step.modality), call, vet)
        except AllProvidersFailed as failed:
            provider = failed.failures[-1].provider if failed.failures else None
            short = "; ".join(f.detail if f.provider == "offline" else f"{display_name(f.provider)}: {f.detail}"
                              for f in failed.failures)
            raise StepFailed(failure_reason(step.modality, failed.failures), provider, failed.usages, short or None) from None

    def _outcome(self, routed: Routed, made: Sequence[Made] = (), copies: Sequence[AdCopy] = (),
                 rejected: Sequence[str] = (), notes: Sequence[str] = ()) -> StepOutcome:
        return StepOutcome(provider=routed.provider, usage=[usage_contract(u) for u in routed.usages],
                           assets=[m.reference for m in made], copies=list(copies), rejected=list(rejected),
                           notes=[*routed.notes, *notes, *foreign_costs(routed.usages)],
                           cost_usd=total_usd(routed.usages))

    # -- copy -------------------------------------------------------------------------

    async def _copy(self, job: GenerationJob, step: Step, ctx: JobContext) -> Done:
        spec, product, platform = ctx.spec, ctx.products[step.product_index], _platform(step)
        request = CopyRequest(product=product, brand=ctx.brand, platform=platform, language=spec.language,
                              variants=spec.variants)
        rejected: list[str] = []

        def vet(name: str, result: CopyResult) -> tuple[Any | None, str | None]:
            checked = check_copy(result.variants, platform=platform, language=spec.language,
                                 facts=ctx.copy_facts[step.product_index], brand=ctx.brand)
            rejected.extend(f"{name} {r}" for r in checked.rejected)
            if checked.accepted:
                return checked.accepted, None
            return None, "every variant failed the checks: " + "; ".join(checked.rejected[:2])

        routed = await self._route(step, ctx, lambda p: p.write_copy(request), vet)
        copies = [AdCopy(platform=platform, language=spec.language, headline=v.headline,
                         primary_text=v.primary_text, description=v.description, call_to_action=v.call_to_action,
                         product_id=step.product_id) for v in routed.result]
        return self._outcome(routed, copies=copies, rejected=rejected), []

    # -- images -----------------------------------------------------------------------

    def _words(self, job: GenerationJob, step: Step, ctx: JobContext) -> tuple[str, str, str]:
        """(headline, call to action label, primary text) the later modalities reuse."""
        copies = job.copies_of(step.product_index)
        language = ctx.spec.language
        if copies:
            first = copies[0]
            return first.headline, cta_label(first.call_to_action, language), first.primary_text
        name = ctx.products[step.product_index].name_in(language)
        return name, cta_label("SHOP_NOW", language), name

    async def _image(self, job: GenerationJob, step: Step, ctx: JobContext) -> Done:
        headline, cta, _ = self._words(job, step, ctx)
        image_format = _format(step)
        request = ImageRequest(product=ctx.products[step.product_index], brand=ctx.brand, format=image_format,
                               language=ctx.spec.language, headline=headline, call_to_action_label=cta)
        routed = await self._route(step, ctx, lambda p: p.make_image(request))
        image = routed.result
        made = await self._keep(job, step, image.content, kind="image", format=image_format.value,
                                media_type=image.media_type, width=image.width, height=image.height)
        return self._outcome(routed, [made]), [made]

    # -- voice-over -------------------------------------------------------------------

    async def _voice(self, job: GenerationJob, step: Step, ctx: JobContext) -> Done:
        """A voice-over that cannot be made is not worth failing the job for: the video goes
        without, and the step says why (e.g. espeak-ng is not installed)."""
        headline, cta, text = self._words(job, step, ctx)
        script = ". ".join(dict.fromkeys(part.strip().rstrip(".") for part in (headline, text, cta) if part.strip()))
        request = SpeechRequest(script=script, language=ctx.spec.language, brand=ctx.brand)
        try:
            routed = await self._route(step, ctx, lambda p: p.speak(request))
        except StepFailed as failed:
            return StepOutcome(provider=failed.provider or "none", usage=[usage_contract(u) for u in failed.usages],
                               notes=[f"no voice-over: {failed.short}"], cost_usd=failed.spent_usd), []
        speech = routed.result
        audio_format = {"audio/mpeg": "mp3", "audio/wav": "wav", "audio/x-wav": "wav",
                        "audio/ogg": "opus"}.get(speech.media_type, "audio")
        made = await self._keep(job, step, speech.content, kind="audio", format=audio_format,
                                media_type=speech.media_type, duration=speech.duration_seconds)
        return self._outcome(routed, [made]), [made]

    # -- video ------------------------------------------------------------------------

    async def _video(self, job: GenerationJob, step: Step, ctx: JobContext) -> Done:
        headline, cta, text = self._words(job, step, ctx)
        frames = await self._frames(job, step, ctx)
        captions = tuple(([headline, text, cta] + [""] * len(frames))[: len(frames)])
        request = VideoRequest(frames=tuple(frames), captions=captions, language=ctx.spec.language, brand=ctx.brand,
                               voice_over=await self._voice_over(job, step))
        routed = await self._route(step, ctx, lambda p: p.make_video(request))
        video = routed.result
        made = await self._keep(job, step, video.content, kind="video", format="9:16", media_type=video.media_type,
                                width=video.width, height=video.height, duration=video.duration_seconds)
        return self._outcome(routed, [made], notes=[video.note] if video.note else []), [made]

    async def _frames(self, job: GenerationJob, step: Step, ctx: JobContext) -> list[bytes]:
        images = job.assets_of(step.product_index, "image")
        story = [a for a in images if a.format == "9:16"] or images[:1]
        frames = [await self._bytes(a) for a in story]
        frames += list(ctx.products[step.product_index].photos[:MAX_PHOTO_FRAMES])
        if not frames:
            raise StepFailed("The video needs an image or a product photo; ask for the 9:16 image too", None, [])
        return frames

    async def _voice_over(self, job: GenerationJob, step: Step) -> SpeechResult | None:
        audio = job.assets_of(step.product_index, "audio")
        if not audio:
            return None
        reference = audio[0]
        return SpeechResult(content=await self._bytes(reference), media_type=reference.media_type or "audio/mpeg",
                            duration_seconds=reference.duration_seconds or 0.0, usage=Usage(provider="stored"))

    async def _bytes(self, reference: AssetReference) -> bytes:
        return await self.a.assets.content(reference.sha256)

    async def _keep(self, job: GenerationJob, step: Step, content: bytes, *, kind: str, format: str, media_type: str,
                    width: int | None = None, height: int | None = None, duration: float | None = None) -> Made:
        meta = describe(job.workspace, content, kind=kind, format=format, media_type=media_type, width=width,
                        height=height, duration=duration)
        await self.a.assets.store_bytes(meta, content)
        reference = AssetReference(asset_id=meta.id, kind=meta.kind, format=meta.format, sha256=meta.sha256,
                                   product_id=step.product_id, media_type=meta.media_type, width=meta.width,
                                   height=meta.height, duration_seconds=meta.duration_seconds, bytes=meta.bytes)
        return Made(meta, reference)
