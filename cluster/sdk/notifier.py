"""Notifiers (Airflow's `BaseNotifier`, `airflow.sdk.bases.notifier`): a callback object
with templated fields, given as `on_failure_callback=SomeNotifier(...)` (or any other task
or DAG callback). Called with the callback's context, it renders its `template_fields`
against it and calls `notify(context)`; a notifier that raises is logged, as in Airflow,
and never changes a state.
"""
from __future__ import annotations

import copy
from typing import Any, Mapping, Sequence

from cluster.sdk.templating import environment, render, searchpath_of
from cluster.sdk.trigger_base import LoggingMixin


class BaseNotifier(LoggingMixin):
    """Subclass it, name the fields to render in `template_fields`, and send in `notify`."""

    template_fields: Sequence[str] = ()
    template_ext: Sequence[str] = ()

    def _update_context(self, context: Mapping[str, Any]) -> Mapping[str, Any]:
        """A subclass may add to the context before its fields are rendered."""
        return context

    def render_template_fields(self, context: Mapping[str, Any], jinja_env: Any = None) -> None:
        """Render `template_fields` in place, with the DAG's template search path, filters
        and native rendering when the context names a DAG."""
        dag = context.get("dag")
        made: list[Any] = []

        def env() -> Any:
            if jinja_env is not None:
                return jinja_env
            if not made:
                made.append(environment(searchpath_of(dag),
                                        getattr(dag, "user_defined_filters", None),
                                        getattr(dag, "render_template_as_native_obj", False)))
            return made[0]

        values = {**getattr(dag, "user_defined_macros", {}), **context}
        for field in self.template_fields:
            setattr(self, field, render(getattr(self, field, None), values, env,
                                        self.template_ext))

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
