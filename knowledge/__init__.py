"""The knowledge base: YAML files only. This module just says where they are."""

from pathlib import Path

KNOWLEDGE_DIR = Path(__file__).resolve().parent
