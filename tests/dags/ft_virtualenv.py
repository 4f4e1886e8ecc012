"""@task.virtualenv, PythonVirtualenvOperator and ExternalPythonOperator, the Airflow way."""
import datetime as dt
import sys

from airflow import DAG
from airflow.decorators import task
from airflow.operators.python import (ExternalPythonOperator, PythonOperator,
                                      PythonVirtualenvOperator)

START = dt.datetime(2024, 1, 1)


def tabulate_visible():
    try:
        import tabulate  # noqa: F401
    except ImportError:
        return "absent"
    return "visible"


def which_python(prefix):
    import sys

    return prefix + sys.executable


def leave(code):
    import sys

    sys.exit(code)


with DAG("venv_dag", schedule=None, start_date=START):
    rows = PythonOperator(task_id="rows", python_callable=lambda: [[1, 2], [3, 4]])

    @task.virtualenv(requirements=["tabulate==0.9.0"], system_site_packages=False)
    def table(rows, ds=None):
        import tabulate

        return {"version": tabulate.__version__, "lines": tabulate.tabulate(rows).splitlines(),
                "ds": ds}

    table(rows.output)
    PythonVirtualenvOperator(task_id="bare", python_callable=tabulate_visible,
                             system_site_packages=False)
    ExternalPythonOperator(task_id="external", python=sys.executable,
                           python_callable=which_python, op_args=["ran by "])
    PythonVirtualenvOperator(task_id="skip_code", python_callable=leave, op_args=[5],
                             skip_on_exit_code=5)


with DAG("venv_dill", schedule=None, start_date=START):
    # Airflow adds dill to the virtualenv's requirements and passes the arguments with it
    @task.virtualenv(serializer="dill", system_site_packages=False)
    def dilled(value):
        import sys

        return {"doubled": value * 2, "dill_loaded": "dill" in sys.modules}

    dilled(21)
    PythonVirtualenvOperator(task_id="use_dill", python_callable=which_python,
                             op_args=["dill: "], use_dill=True)
