"""SQL tasks written the Airflow way: DDL, a parameterised insert, a split script, a select."""
import datetime as dt

from airflow import DAG
from airflow.providers.common.sql.operators.sql import SQLExecuteQueryOperator

CONN_ID = "cf_sql_pg"

with DAG("t_sql_ops", start_date=dt.datetime(2024, 1, 1, tzinfo=dt.timezone.utc),
         schedule=None, catchup=False) as dag:
    create = SQLExecuteQueryOperator(
        task_id="create", conn_id=CONN_ID,
        sql="DROP TABLE IF EXISTS cf_items; "
            "CREATE TABLE cf_items (id int PRIMARY KEY, name text, price numeric(6,2), day date)",
    )
    insert = SQLExecuteQueryOperator(
        task_id="insert", conn_id=CONN_ID,
        sql="INSERT INTO cf_items VALUES (%(id)s, %(name)s, %(price)s, %(day)s)",
        parameters={"id": 1, "name": "apple", "price": "1.25", "day": "{{ ds }}"},
    )
    two = SQLExecuteQueryOperator(
        task_id="two_statements", conn_id=CONN_ID, split_statements=True,
        sql="INSERT INTO cf_items VALUES (2, 'semi;colon', 2.50, '2024-02-29'); "
            "UPDATE cf_items SET name = name || '!' WHERE id = 1;",
    )
    select = SQLExecuteQueryOperator(
        task_id="select", conn_id=CONN_ID, show_return_value_in_logs=True,
        sql="SELECT id, name, price, day FROM cf_items ORDER BY id",
    )
    create >> insert >> two >> select
