"""Install advice: the command for each framework on this platform (knowledge/install.yaml)."""
