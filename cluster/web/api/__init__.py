"""`/api/v2`: Airflow's REST API resources, names and shapes, on chordflow's services."""
