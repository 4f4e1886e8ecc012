"""Notifiers (Airflow's `BaseNotifier`, `airflow.sdk.bases.notifier`): a callback object
with templated fields, given as `on_failure_callback=SomeNotifier(...)` (or any other task
or DAG callback). Called with the callback's context, it renders its `template_fields`
against it and calls `notify(context)`; a notifier that raises is logged, as in Airflow,
and never changes a state.
"""
from __future__ import annotations

import copy
from typing import Any, Mapping, Sequence

from cluster.sdk.templating import render_fields
from cluster.sdk.trigger_base import LoggingMixin


class BaseNotifier(LoggingMixin):
    """Subclass it, name the fields to render in `template_fields`, and send in `notify`."""

    template_fields: Sequence[str] = ()
    template_ext: Sequence[str] = ()

    def _update_context(self, context: Mapping[str, Any]) -> Mapping[str, Any]:
        """A subclass may add to the context before its fields are rendered."""
        return context

    def render_template_fields(self, context: Mapping[str, Any], jinja_env: Any = None) -> None:
        """Render `template_fields` in place, with the DAG's template search path, filters,
        macros and native rendering when the context names a DAG."""
        render_fields(self, dict(context), dag=context.get("dag"), jinja_env=jinja_env)

    def notify(self, context: Mapping[str, Any]) -> None:
        raise NotImplementedError(f"{type(self).__name__} does not implement notify()")

    def __call__(self, *args: Any) -> None:
        """A task or DAG callback's call: `notifier(context)`."""
        if len(args) != 1 or not isinstance(args[0], Mapping):
            raise TypeError(f"{type(self).__name__} is called with a callback's context "
                            "(chordflow has no SLA callbacks)")
        # rendered on a copy: the DAG a worker keeps loaded holds this notifier for the
        # next runs, which must see its templates, not this run's values
        notifier = copy.copy(self)
        context = notifier._update_context(args[0])
        notifier.render_template_fields(context)
        try:
            notifier.notify(context)
        except Exception as exc:
            self.log.exception("Failed to send notification: %s", exc)


__all__ = ["BaseNotifier"]
