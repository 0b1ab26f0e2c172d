"""Session.run's pipeline: prune -> place -> plan -> execute, with a per-session plan cache."""
