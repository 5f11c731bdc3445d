"""Reasoning: scoring, what would change the answer, and the facts measured evidence gives."""
