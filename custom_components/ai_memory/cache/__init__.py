"""The safe response cache: slot signatures from HA's own sentence data, plans, invalidation."""
