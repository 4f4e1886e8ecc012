"""More of Airflow's import surface: Airflow 3's `airflow.sdk` (and the provider shim
`airflow.providers.common.compat.sdk`), the Airflow 2 paths, the Airflow 1.x aliases Airflow
2 still ships, and the core names providers import. Same form as `compat.MODULES`, which
adds these to its own entries: "module" offers a module's public names, "module:a,b" only
a and b, "module@name" the module itself under `name`.
"""
from __future__ import annotations

AIRFLOW_VERSION = "3.1.0"  # the Airflow these names stand for: providers check it
SDK_VERSION = "1.1.0"

_UTILS = "cluster.compat.utils"
_DECORATOR = ("cluster.sdk.operators.python:DecoratedOperator,task_decorator_factory,"
              "get_unique_task_id,TaskDecorator")
_TIMEZONE = _UTILS + ":" + ",".join([
    "utc", "utcnow", "datetime", "parse", "is_localized", "is_naive", "make_aware",
    "make_naive", "convert_to_utc", "coerce_datetime", "TIMEZONE"])
_SDK = (
    "cluster.sdk.trigger_rules:TriggerRule", "cluster.sdk.xcom_arg:XComArg",
    "cluster.compat.states:DagRunState,TaskInstanceState",
    "cluster.sdk.operators.branch:BaseBranchOperator", "cluster.sdk.notifier:BaseNotifier",
    _UTILS + ":Context,chain_linear,get_parsing_context",
    "cluster.compat.configuration:conf", "cluster.sdk.macros@macros", "cluster.sdk.edges",
)
_EXCEPTIONS = ("cluster.errors", "cluster.sdk.exceptions")

SURFACE: dict[str, tuple[str, ...]] = {
    "airflow": ("cluster.compat.configuration:conf",),
    # Airflow 3: the task SDK
    "airflow.sdk": _SDK,
    "airflow.sdk.exceptions": _EXCEPTIONS,
    "airflow.sdk.configuration": ("cluster.compat.configuration",),
    "airflow.sdk.timezone": (_TIMEZONE,),
    "airflow.sdk.bases": (),
    "airflow.sdk.bases.operator": ("cluster.sdk.operators.base:BaseOperator,chain,cross_downstream",
                                   _UTILS + ":chain_linear"),
    "airflow.sdk.bases.sensor": ("cluster.sdk.sensors.base",),
    "airflow.sdk.bases.hook": ("cluster.sdk.hooks",),
    "airflow.sdk.bases.branch": ("cluster.sdk.operators.branch:BaseBranchOperator",),
    "airflow.sdk.bases.notifier": ("cluster.sdk.notifier:BaseNotifier",),
    "airflow.notifications": (),
    "airflow.notifications.basenotifier": ("cluster.sdk.notifier:BaseNotifier",),
    "airflow.sdk.definitions._internal": (),
    "airflow.sdk.definitions._internal.types": (
        _UTILS + ":NOTSET,ArgNotSet,SET_DURING_EXECUTION,is_arg_set",),
    "airflow.sdk.execution_time": (),
    "airflow.sdk.execution_time.context": (_UTILS + ":context_to_airflow_vars,context_merge,"
                                           "context_get_outlet_events",),
    "airflow.sdk.execution_time.callback_runner": (_UTILS + ":create_executable_runner",),
    "airflow.utils.hashlib_wrapper": (_UTILS + ":md5",),
    "airflow.utils.file": (_UTILS + ":get_unique_dag_module_name",),
    "airflow.providers_manager": ("cluster.compat.providers",),
    "airflow.sdk.module_loading": (_UTILS + ":import_string,qualname,iter_namespace",),
    "airflow.utils.module_loading": (_UTILS + ":import_string,qualname,iter_namespace",),
    "airflow.sdk.bases.skipmixin": (_UTILS + ":SkipMixin",),
    "airflow.models.skipmixin": (_UTILS + ":SkipMixin",),
    "airflow.sdk.definitions": (),
    "airflow.sdk.definitions.dag": ("cluster.sdk.dag:DAG,dag",),
    "airflow.sdk.definitions.param": ("cluster.sdk.params",),
    "airflow.sdk.definitions.connection": ("cluster.sdk.connection:Connection",),
    "airflow.sdk.definitions.variable": ("cluster.sdk.variable",),
    "airflow.sdk.definitions.xcom_arg": ("cluster.sdk.xcom_arg:XComArg",),
    "airflow.sdk.definitions.context": ("cluster.sdk.context_var",
                                        _UTILS + ":Context,get_parsing_context,context_merge"),
    "airflow.sdk.definitions.decorators": ("cluster.sdk.operators.python:task", "cluster.sdk.dag:dag"),
    "airflow.sdk.definitions.baseoperator": ("cluster.sdk.operators.base:BaseOperator,chain,"
                                             "cross_downstream",),
    "airflow.providers.common.compat": (),
    "airflow.providers.common.compat.sdk": (
        "cluster.sdk.dag:DAG,dag", "cluster.sdk.operators", "cluster.sdk.variable", "cluster.sdk.connection",
        "cluster.sdk.hooks", "cluster.sdk.sensors.base", "cluster.sdk.params", "cluster.sdk.context_var",
        *_SDK, *_EXCEPTIONS, _UTILS + "@timezone"),
    # Airflow 2 paths
    "airflow.exceptions": ("cluster.sdk.exceptions",),
    "airflow.configuration": ("cluster.compat.configuration",),
    "airflow.settings": ("cluster.compat.models:Session",),
    "airflow.models": ("cluster.compat.models:DagRun,TaskInstance,DagModel,DagBag,XCom",
                       "cluster.sdk.xcom_arg:XComArg"),
    "airflow.models.dagrun": ("cluster.compat.models:DagRun",),
    "airflow.models.taskinstance": ("cluster.compat.models:TaskInstance",),
    "airflow.models.dagbag": ("cluster.compat.models:DagBag",),
    "airflow.models.xcom": ("cluster.compat.models:XCom", "cluster.sdk.xcom_arg:RETURN_KEY"),
    "airflow.models.xcom_arg": ("cluster.sdk.xcom_arg:XComArg",),
    "airflow.models.operator": ("cluster.sdk.operators.base:BaseOperator",),
    "airflow.utils.session": ("cluster.compat.models:provide_session,create_session,"
                              "NEW_SESSION",),
    "airflow.utils.db": ("cluster.compat.models:provide_session,create_session",),
    "airflow.utils.decorators": (_UTILS + ":apply_defaults",),
    "airflow.utils.helpers": (_UTILS + ":merge_dicts,chain_linear,exactly_one,at_most_one",),
    "airflow.utils.platform": (_UTILS + ":getuser",),
    "airflow.utils.strings": (_UTILS + ":to_boolean",),
    "airflow.utils.operator_helpers": (_UTILS + ":determine_kwargs,context_to_airflow_vars,"
                                       "KeywordParameters,ExecutionCallableRunner",),
    "airflow.sdk.bases.decorator": (_UTILS + ":determine_kwargs,KeywordParameters", _DECORATOR),
    "airflow.decorators.base": (_UTILS + ":determine_kwargs", _DECORATOR),
    "airflow.utils.timezone": (_TIMEZONE,),
    "airflow.utils.types": (_UTILS + ":NOTSET,ArgNotSet,SET_DURING_EXECUTION",),
    "airflow.utils.context": (_UTILS + ":Context,context_merge,context_get_outlet_events",
                              "cluster.sdk.context_var"),
    "airflow.utils.edgemodifier": ("cluster.sdk.edges",),
    "airflow.sdk.definitions.edges": ("cluster.sdk.edges",),
    "airflow.utils.log": (),
    "airflow.utils.log.logging_mixin": (_UTILS + ":LoggingMixin",),
    "airflow.triggers": (),
    "airflow.triggers.base": (_UTILS + ":BaseTrigger,BaseEventTrigger,TriggerEvent,StartTriggerArgs",
                              "cluster.sdk.deferral:TaskSuccessEvent,TaskFailedEvent,TaskSkippedEvent"),
    "airflow.triggers.temporal": ("cluster.sdk.triggers:DateTimeTrigger,TimeDeltaTrigger",),
    "airflow.triggers.file": ("cluster.sdk.triggers:FileTrigger,FileDeleteTrigger",),
    "airflow.providers.standard.triggers": (),
    "airflow.providers.standard.triggers.temporal": ("cluster.sdk.triggers:DateTimeTrigger,"
                                                     "TimeDeltaTrigger",),
    "airflow.providers.standard.triggers.file": ("cluster.sdk.triggers:FileTrigger,"
                                                 "FileDeleteTrigger",),
    "airflow.sensors.time_sensor_async": ("cluster.sdk.sensors.time_delta:TimeSensorAsync",),
    "airflow.sensors.date_time_sensor": ("cluster.sdk.sensors.time_delta",),
    "airflow.decorators": ("cluster.sdk.operators.python:task",),
    "airflow.operators.python": ("cluster.sdk.context_var",),
    # Airflow 1.x names that Airflow 2 keeps as deprecated aliases
    "airflow.operators.postgres_operator": ("cluster.sdk.operators.sql:PostgresOperator",),
    "airflow.operators.sqlite_operator": ("cluster.sdk.operators.sql:SqliteOperator",),
    "airflow.operators.sql": ("cluster.sdk.operators.sql",),
    "airflow.operators.docker_operator": ("cluster.sdk.operators.docker",),
    "airflow.operators.sensors": ("cluster.sdk.sensors",),
    "airflow.hooks.postgres_hook": ("cluster.sdk.sql_hooks:PostgresHook",),
    "airflow.hooks.sqlite_hook": ("cluster.sdk.sql_hooks:SqliteHook",),
    "airflow.hooks.dbapi": ("cluster.sdk.sql_hooks:DbApiHook",),
    "airflow.hooks.dbapi_hook": ("cluster.sdk.sql_hooks:DbApiHook",),
    "airflow.sensors.time_delta_sensor": ("cluster.sdk.sensors.time_delta",),
    "airflow.contrib": (),
    "airflow.contrib.operators": (),
    "airflow.contrib.operators.kubernetes_pod_operator": ("cluster.sdk.operators.kubernetes",),
    "airflow.contrib.sensors": (),
    "airflow.contrib.sensors.file_sensor": ("cluster.sdk.sensors.filesystem",),
    "airflow.contrib.kubernetes": (),
    "airflow.contrib.kubernetes.secret": ("cluster.sdk.operators.kubernetes:Secret",),
}

# names that are values rather than chordflow objects
VALUES: dict[str, dict[str, object]] = {
    "airflow": {"__version__": AIRFLOW_VERSION},
    "airflow.sdk": {"__version__": SDK_VERSION},
    "airflow.version": {"version": AIRFLOW_VERSION},
}
