"""The control plane: the scheduler, the DAG processor and parsing, the service functions
behind every front door, the repair paths and the embedded mode."""
