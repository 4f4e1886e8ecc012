"""PythonSensor: waits until a Python callable returns something true."""
from __future__ import annotations

from typing import Any, Callable, Sequence

from cluster.sdk.operators.python import callable_args, context_kwargs
from cluster.sdk.xcom_arg import resolve_xcom_args
from cluster.sdk.sensors.base import BaseSensorOperator, PokeReturnValue


class PythonSensor(BaseSensorOperator):
    """Pokes by calling `python_callable(*op_args, **op_kwargs)` plus the context names it
    asks for.

    Parameters:
      python_callable: returns a truthy value (or a PokeReturnValue) once the condition holds.
      op_args / op_kwargs: its arguments (templated).
      templates_dict: rendered and passed as the context entry `templates_dict`.
      (and BaseSensorOperator's poke_interval, timeout, mode, soft_fail...)
    """

    template_fields: Sequence[str] = ("templates_dict", "op_args", "op_kwargs")

    def __init__(
        self,
        *,
        python_callable: Callable,
        op_args: Sequence[Any] | None = None,
        op_kwargs: dict[str, Any] | None = None,
        templates_dict: dict[str, Any] | None = None,
        **kwargs: Any,
    ) -> None:
        call = callable_args(python_callable, op_args, op_kwargs)
        super().__init__(**kwargs)
        self.python_callable, self.op_args, self.op_kwargs = call
        self.templates_dict = templates_dict

    def poke(self, context: dict[str, Any]) -> bool | PokeReturnValue:
        """Call the callable; a PokeReturnValue is passed on, anything else counts by truth."""
        context = {**context, "templates_dict": self.templates_dict}
        print(f"{self.task_id}: poking callable {getattr(self.python_callable, '__name__', '?')}")
        result = self.python_callable(
            *self.op_args, **context_kwargs(self.python_callable, context, self.op_kwargs))
        return result if isinstance(result, PokeReturnValue) else bool(result)


class DecoratedSensorOperator(PythonSensor):
    """`@task.sensor`: the decorated function is the poke. It returns a bool, or a
    PokeReturnValue whose `xcom_value` becomes the task's return value once done; its
    arguments may be XComArgs of upstream tasks, resolved at each poke.
    """

    template_fields: Sequence[str] = ("op_args", "op_kwargs")
    custom_operator_name = "@task.sensor"

    def poke(self, context: dict[str, Any]) -> bool | PokeReturnValue:
        args = resolve_xcom_args(self.op_args, context)
        kwargs = resolve_xcom_args(self.op_kwargs, context)
        result = self.python_callable(
            *args, **context_kwargs(self.python_callable, context, kwargs))
        return result if isinstance(result, PokeReturnValue) else bool(result)


__all__ = ["DecoratedSensorOperator", "PythonSensor"]
