"""EmailOperator and send_email through the smtp_default connection."""
import datetime as dt
import os

from airflow import DAG
from airflow.operators.email import EmailOperator
from airflow.operators.python import PythonOperator
from airflow.utils.email import send_email

START = dt.datetime(2024, 1, 1)
ATTACHMENT = os.path.join(os.path.dirname(__file__), "ft_query.sql")


def notify():
    send_email(to="ops@example.com; oncall@example.com", subject="from send_email",
               html_content="<p>plain call</p>", bcc="audit@example.com")


with DAG("mail_dag", schedule=None, start_date=START, params={"what": "report"}):
    EmailOperator(task_id="mail", to=["a@example.com", "b@example.com"], cc="c@example.com",
                  subject="Run {{ ds }}", html_content="<b>{{ params.what }}</b> is ready",
                  files=[ATTACHMENT], custom_headers={"X-Chordflow": "yes"}) >> \
        PythonOperator(task_id="notify", python_callable=notify)
