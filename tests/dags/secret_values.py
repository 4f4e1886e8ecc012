"""Connections, variables, masking and the template context, written the Airflow way."""
import datetime as dt
import json
import os

from airflow import DAG
from airflow.hooks.base import BaseHook
from airflow.models import Variable
from airflow.operators.bash import BashOperator
from airflow.operators.python import PythonOperator

HERE = os.path.dirname(os.path.abspath(__file__))


def use_secrets(**context):
    conn = BaseHook.get_connection("my_db")
    api_key = Variable.get("api_key")
    cfg = Variable.get("cfg", deserialize_json=True)
    print(f"connecting to {conn.host}:{conn.port} as {conn.login} with password {conn.password}")
    print(f"the api_key is {api_key}; the region is {Variable.get('region')}")
    print(f"missing -> {Variable.get('not_there', default_var='fallback')}")
    Variable.set("written_by_task", f"{context['ds']}:{cfg['a']}")
    seen = {"host": conn.host, "password": conn.password, "api_key": api_key,
            "uri": conn.get_uri(), "extra": conn.extra_dejson, "cfg": cfg}
    out = os.environ.get("CHORDFLOW_TEST_OUT", "/tmp")
    with open(os.path.join(out, f"secrets-{context['run_id']}.json"), "w") as fh:
        json.dump(seen, fh)


with DAG("t_secrets", start_date=dt.datetime(2024, 1, 1, tzinfo=dt.timezone.utc),
         schedule="@daily", catchup=False, params={"x": "px"},
         template_searchpath=[os.path.join(HERE, "template_lib")],
         user_defined_macros={"my_macro": "from-macro"},
         user_defined_filters={"shout": lambda s: s.upper() + "!"}) as dag:
    python = PythonOperator(task_id="use_secrets", python_callable=use_secrets)
    templated = BashOperator(
        task_id="templated",
        bash_command=(
            "echo 'ds={{ ds }} nodash={{ ds_nodash }} ts={{ ts }} next={{ macros.ds_add(ds, 1) }} "
            "fmt={{ macros.ds_format(ds, '%Y-%m-%d', '%d/%m/%Y') }} "
            "start={{ data_interval_start.strftime('%H') }} end={{ data_interval_end | ds }} "
            "prev={{ prev_ds }} params={{ params.x }} conf={{ dag_run.conf.get('c', 'none') }} "
            "run={{ run_id }} ti={{ ti.task_id }} task={{ task.task_id }} dag={{ dag.dag_id }} "
            "var={{ var.value.region }} json={{ var.json.cfg.a }} host={{ conn.my_db.host }} "
            "pw={{ conn.my_db.password }} macro={{ my_macro }} filter={{ 'abc' | shout }} "
            "dt={{ macros.datetime(2020, 1, 2).strftime('%Y') }} "
            "td={{ (logical_date + macros.timedelta(days=2)).day }}'"),
    )
    from_file = BashOperator(task_id="from_file", bash_command="greet.sh",
                             env={"WHO": "{{ var.value.region }}"})
    python >> templated >> from_file
