"""Authoring: what a DAG file is written with (DAG, operators, sensors, params, XComArg,
templating, macros, trigger rules, task groups, mapping, schedules, assets). Knows nothing of
the store, the control plane, the CLI or the workers."""
