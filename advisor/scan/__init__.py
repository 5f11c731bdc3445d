"""Reading a repository to draft answers (knowledge/scan.yaml holds the signatures)."""
