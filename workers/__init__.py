"""What runs on a worker: the Celery task types, the execution of one task try, runners."""
