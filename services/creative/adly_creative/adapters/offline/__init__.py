"""The offline provider: real creatives with no network and no keys (the default provider).

Copy from templates, images drawn with Pillow (bundled fonts, Arabic shaped right to left),
a voice-over from espeak-ng when it is installed, and a 9:16 video encoded by the ffmpeg of
imageio-ffmpeg. Every class is named "offline", as the router knows the provider.
"""

from adly_creative.adapters.offline.copywriter import OfflineCopywriter
from adly_creative.adapters.offline.images import PillowImageMaker
from adly_creative.adapters.offline.speech import EspeakSpeaker
from adly_creative.adapters.offline.video import FfmpegVideoMaker

__all__ = ["EspeakSpeaker", "FfmpegVideoMaker", "OfflineCopywriter", "PillowImageMaker"]
