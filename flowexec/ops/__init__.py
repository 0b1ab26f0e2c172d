"""flowexec.ops: every op type, each defined once (see flowexec/framework/registry.py)."""
