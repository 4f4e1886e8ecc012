"""The web server: Airflow's REST API (v2 shapes) and the web UI, over the same service
functions as the CLI and the client."""
