"""The doctor: `check-health`, `diagnose` and `explain` — every refusal in the seed named, with its fix."""
