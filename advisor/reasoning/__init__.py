"""Reasoning: the condition language, scoring, what would change the answer, measured facts."""
