"""The processor registry: a processor is one module plus one `register(...)` line here."""

from content_pipeline.classify.processors.article import ArticleProcessor
from content_pipeline.classify.processors.audio import AudioProcessor
from content_pipeline.classify.processors.base import Processor
from content_pipeline.classify.processors.generic import GenericProcessor
from content_pipeline.classify.processors.image import ImageProcessor
from content_pipeline.classify.processors.social import SocialProcessor
from content_pipeline.classify.processors.video import VideoProcessor

PROCESSORS: dict[str, Processor] = {}


def register(processor: Processor) -> Processor:
    """Make a processor available to dispatch rules under its `name`."""
    PROCESSORS[processor.name] = processor
    return processor


register(ArticleProcessor())
register(VideoProcessor())
register(AudioProcessor())
register(SocialProcessor())
register(ImageProcessor())
register(GenericProcessor())

__all__ = ["PROCESSORS", "Processor", "register"]
