"""BashOperator's output_processor, skip_on_exit_code, cwd, env and append_env; template
files for PythonOperator and @task (templates_exts); BaseOperator.output."""
import datetime as dt

from airflow import DAG
from airflow.decorators import task
from airflow.operators.bash import BashOperator
from airflow.operators.python import PythonOperator

START = dt.datetime(2024, 1, 1)

with DAG("op_bash", schedule=None, start_date=START, params={"greeting": "hello"}):
    BashOperator(task_id="processed", bash_command="echo 3; echo 4",
                 output_processor=lambda out: {"value": int(out) * 10})
    BashOperator(task_id="default_skip", bash_command="echo going; exit 99")
    BashOperator(task_id="custom_skip", bash_command="exit 3", skip_on_exit_code=[3, 4])
    BashOperator(task_id="in_temp_dir", bash_command="pwd")
    BashOperator(task_id="in_cwd", bash_command="pwd", cwd="/")
    BashOperator(task_id="env_only", bash_command='echo "${GREETING:-none} ${HOME:-nohome}"',
                 env={"GREETING": "{{ params.greeting }}"})
    BashOperator(task_id="env_appended", bash_command='echo "$GREETING ${HOME:-nohome}"',
                 env={"GREETING": "{{ params.greeting }}"}, append_env=True)

with DAG("op_bash_fail", schedule=None, start_date=START):
    BashOperator(task_id="no_skip", bash_command="exit 99", skip_on_exit_code=None)
    BashOperator(task_id="bad_cwd", bash_command="pwd", cwd="/no/such/dir")

with DAG("op_templates", schedule=None, start_date=START, params={"table": "events"}):
    PythonOperator(task_id="from_file",
                   python_callable=lambda templates_dict=None: templates_dict["query"].strip(),
                   templates_dict={"query": "ft_query.sql"}, templates_exts=[".sql"])

    @task(templates_exts=[".sql"])
    def query(sql):
        return sql.strip()

    query("ft_query.sql")
    produce = PythonOperator(task_id="produce", python_callable=lambda: 21)
    PythonOperator(task_id="consume", python_callable=lambda x: x * 2, op_args=[produce.output],
                   show_return_value_in_logs=False)
