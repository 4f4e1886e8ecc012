"""More of Airflow's import surface: Airflow 3's `airflow.sdk` (and the provider shim
`airflow.providers.common.compat.sdk`), the Airflow 2 paths, the Airflow 1.x aliases Airflow
2 still ships, and the core names providers import. Same form as `compat.MODULES`, which
adds these to its own entries: "module" offers a module's public names, "module:a,b" only
a and b, "module@name" the module itself under `name`.
"""
from __future__ import annotations

AIRFLOW_VERSION = "3.1.0"  # the Airflow these names stand for: providers check it
SDK_VERSION = "1.1.0"

_UTILS = "cluster.airflow_utils"
_TIMEZONE = _UTILS + ":" + ",".join([
    "utc", "utcnow", "datetime", "parse", "is_localized", "is_naive", "make_aware",
    "make_naive", "convert_to_utc", "coerce_datetime", "TIMEZONE"])
_SDK = (
    "cluster.trigger_rules:TriggerRule", "cluster.xcom_arg:XComArg",
    "cluster.airflow_states:DagRunState,TaskInstanceState",
    "cluster.operators.branch:BaseBranchOperator",
    _UTILS + ":Context,chain_linear,get_parsing_context",
    "cluster.airflow_config:conf", "cluster.macros@macros", "cluster.edges",
)
_EXCEPTIONS = ("cluster.errors", "cluster.airflow_exceptions")

SURFACE: dict[str, tuple[str, ...]] = {
    "airflow": ("cluster.airflow_config:conf",),
    # Airflow 3: the task SDK
    "airflow.sdk": _SDK,
    "airflow.sdk.exceptions": _EXCEPTIONS,
    "airflow.sdk.configuration": ("cluster.airflow_config",),
    "airflow.sdk.timezone": (_TIMEZONE,),
    "airflow.sdk.bases": (),
    "airflow.sdk.bases.operator": ("cluster.operators.base:BaseOperator,chain,cross_downstream",
                                   _UTILS + ":chain_linear"),
    "airflow.sdk.bases.sensor": ("cluster.sensors.base",),
    "airflow.sdk.bases.hook": ("cluster.hooks",),
    "airflow.sdk.bases.branch": ("cluster.operators.branch:BaseBranchOperator",),
    "airflow.sdk.definitions._internal": (),
    "airflow.sdk.definitions._internal.types": (
        _UTILS + ":NOTSET,ArgNotSet,SET_DURING_EXECUTION,is_arg_set",),
    "airflow.sdk.execution_time": (),
    "airflow.sdk.execution_time.context": (_UTILS + ":context_to_airflow_vars,context_merge,"
                                           "context_get_outlet_events",),
    "airflow.sdk.execution_time.callback_runner": (_UTILS + ":create_executable_runner",),
    "airflow.utils.hashlib_wrapper": (_UTILS + ":md5",),
    "airflow.utils.file": (_UTILS + ":get_unique_dag_module_name",),
    "airflow.providers_manager": ("cluster.airflow_providers",),
    "airflow.sdk.module_loading": (_UTILS + ":import_string,qualname,iter_namespace",),
    "airflow.utils.module_loading": (_UTILS + ":import_string,qualname,iter_namespace",),
    "airflow.sdk.bases.skipmixin": (_UTILS + ":SkipMixin",),
    "airflow.models.skipmixin": (_UTILS + ":SkipMixin",),
    "airflow.sdk.definitions": (),
    "airflow.sdk.definitions.dag": ("cluster.dag:DAG,dag",),
    "airflow.sdk.definitions.param": ("cluster.params",),
    "airflow.sdk.definitions.connection": ("cluster.connection:Connection",),
    "airflow.sdk.definitions.variable": ("cluster.variable",),
    "airflow.sdk.definitions.xcom_arg": ("cluster.xcom_arg:XComArg",),
    "airflow.sdk.definitions.context": ("cluster.context_var",
                                        _UTILS + ":Context,get_parsing_context,context_merge"),
    "airflow.sdk.definitions.decorators": ("cluster.operators.python:task", "cluster.dag:dag"),
    "airflow.sdk.definitions.baseoperator": ("cluster.operators.base:BaseOperator,chain,"
                                             "cross_downstream",),
    "airflow.providers.common.compat": (),
    "airflow.providers.common.compat.sdk": (
        "cluster.dag:DAG,dag", "cluster.operators", "cluster.variable", "cluster.connection",
        "cluster.hooks", "cluster.sensors.base", "cluster.params", "cluster.context_var",
        *_SDK, *_EXCEPTIONS, _UTILS + "@timezone"),
    # Airflow 2 paths
    "airflow.exceptions": ("cluster.airflow_exceptions",),
    "airflow.configuration": ("cluster.airflow_config",),
    "airflow.settings": ("cluster.airflow_models:Session",),
    "airflow.models": ("cluster.airflow_models:DagRun,TaskInstance,DagModel,DagBag,XCom",
                       "cluster.xcom_arg:XComArg"),
    "airflow.models.dagrun": ("cluster.airflow_models:DagRun",),
    "airflow.models.taskinstance": ("cluster.airflow_models:TaskInstance",),
    "airflow.models.dagbag": ("cluster.airflow_models:DagBag",),
    "airflow.models.xcom": ("cluster.airflow_models:XCom", "cluster.xcom_arg:RETURN_KEY"),
    "airflow.models.xcom_arg": ("cluster.xcom_arg:XComArg",),
    "airflow.models.operator": ("cluster.operators.base:BaseOperator",),
    "airflow.utils.session": ("cluster.airflow_models:provide_session,create_session,"
                              "NEW_SESSION",),
    "airflow.utils.db": ("cluster.airflow_models:provide_session,create_session",),
    "airflow.utils.decorators": (_UTILS + ":apply_defaults",),
    "airflow.utils.helpers": (_UTILS + ":merge_dicts,chain_linear,exactly_one,at_most_one",),
    "airflow.utils.platform": (_UTILS + ":getuser",),
    "airflow.utils.strings": (_UTILS + ":to_boolean",),
    "airflow.utils.operator_helpers": (_UTILS + ":determine_kwargs,context_to_airflow_vars,"
                                       "KeywordParameters,ExecutionCallableRunner",),
    "airflow.sdk.bases.decorator": (_UTILS + ":determine_kwargs,KeywordParameters",),
    "airflow.utils.timezone": (_TIMEZONE,),
    "airflow.utils.types": (_UTILS + ":NOTSET,ArgNotSet,SET_DURING_EXECUTION",),
    "airflow.utils.context": (_UTILS + ":Context,context_merge,context_get_outlet_events",
                              "cluster.context_var"),
    "airflow.utils.edgemodifier": ("cluster.edges",),
    "airflow.sdk.definitions.edges": ("cluster.edges",),
    "airflow.utils.log": (),
    "airflow.utils.log.logging_mixin": (_UTILS + ":LoggingMixin",),
    "airflow.triggers": (),
    "airflow.triggers.base": (_UTILS + ":BaseTrigger,BaseEventTrigger,TriggerEvent,StartTriggerArgs",
                              "cluster.deferral:TaskSuccessEvent,TaskFailedEvent,TaskSkippedEvent"),
    "airflow.triggers.temporal": ("cluster.triggers:DateTimeTrigger,TimeDeltaTrigger",),
    "airflow.triggers.file": ("cluster.triggers:FileTrigger,FileDeleteTrigger",),
    "airflow.providers.standard.triggers": (),
    "airflow.providers.standard.triggers.temporal": ("cluster.triggers:DateTimeTrigger,"
                                                     "TimeDeltaTrigger",),
    "airflow.providers.standard.triggers.file": ("cluster.triggers:FileTrigger,"
                                                 "FileDeleteTrigger",),
    "airflow.sensors.time_sensor_async": ("cluster.sensors.time_delta:TimeSensorAsync",),
    "airflow.sensors.date_time_sensor": ("cluster.sensors.time_delta",),
    "airflow.decorators": ("cluster.operators.python:task",),
    "airflow.operators.python": ("cluster.context_var",),
    # Airflow 1.x names that Airflow 2 keeps as deprecated aliases
    "airflow.operators.postgres_operator": ("cluster.operators.sql:PostgresOperator",),
    "airflow.operators.sqlite_operator": ("cluster.operators.sql:SqliteOperator",),
    "airflow.operators.sql": ("cluster.operators.sql",),
    "airflow.operators.docker_operator": ("cluster.operators.docker",),
    "airflow.operators.sensors": ("cluster.sensors",),
    "airflow.hooks.postgres_hook": ("cluster.sql_hooks:PostgresHook",),
    "airflow.hooks.sqlite_hook": ("cluster.sql_hooks:SqliteHook",),
    "airflow.hooks.dbapi": ("cluster.sql_hooks:DbApiHook",),
    "airflow.hooks.dbapi_hook": ("cluster.sql_hooks:DbApiHook",),
    "airflow.sensors.time_delta_sensor": ("cluster.sensors.time_delta",),
    "airflow.contrib": (),
    "airflow.contrib.operators": (),
    "airflow.contrib.operators.kubernetes_pod_operator": ("cluster.operators.kubernetes",),
    "airflow.contrib.sensors": (),
    "airflow.contrib.sensors.file_sensor": ("cluster.sensors.filesystem",),
    "airflow.contrib.kubernetes": (),
    "airflow.contrib.kubernetes.secret": ("cluster.operators.kubernetes:Secret",),
}

# names that are values rather than chordflow objects
VALUES: dict[str, dict[str, object]] = {
    "airflow": {"__version__": AIRFLOW_VERSION},
    "airflow.sdk": {"__version__": SDK_VERSION},
    "airflow.version": {"version": AIRFLOW_VERSION},
}
