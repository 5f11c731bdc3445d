"""Reading and checking the knowledge base: YAML in, validated models out, with lint."""
