"""Rendering a recommendation: JSON dict, report data, Markdown, HTML, charts."""
