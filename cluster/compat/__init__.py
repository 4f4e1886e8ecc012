"""Airflow's import names (`airflow.*` in DAG files and provider packages) resolved to
chordflow's own."""
