"""A small bundled website (articles, video, podcast, social post, images, a PDF, a broken link) for demos and tests."""

from content_pipeline.sample_site.server import sample_urls, serve_sample_site

__all__ = ["sample_urls", "serve_sample_site"]
