"""What the user gives: answers files and profiles, project files, the questionnaire logic."""
