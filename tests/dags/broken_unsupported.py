from airflow import DAG
from airflow.providers.snowflake.operators.snowflake import SnowflakeOperator

with DAG("t_broken_unsupported") as dag:
    SnowflakeOperator(task_id="q", sql="select 1")
