"""DAG files for the benchmark shapes, generated into a temporary DAGs folder."""
SHAPES = {
    "chain5": "chain(*[PythonOperator(task_id=f't{i}', python_callable=noop) for i in range(5)])",
    "chain20": "chain(*[PythonOperator(task_id=f't{i}', python_callable=noop) for i in range(20)])",
    "chain200": "chain(*[PythonOperator(task_id=f't{i}', python_callable=noop) for i in range(200)])",
    "fan1000": "EmptyOperator(task_id='root') >> [PythonOperator(task_id=f'p{i}', "
               "python_callable=noop) for i in range(1000)]",
    "chord1000": "EmptyOperator(task_id='root') >> [PythonOperator(task_id=f'p{i}', "
                 "python_callable=noop) for i in range(1000)] >> EmptyOperator(task_id='join')",
    "diamond100": "EmptyOperator(task_id='top') >> [PythonOperator(task_id=f'p{i}', "
                  "python_callable=noop) for i in range(100)] >> EmptyOperator(task_id='bottom')",
}

TEMPLATE = '''from cluster import DAG, EmptyOperator, PythonOperator, chain


def noop():
    return None


with DAG("bench_{name}", schedule=None):
    {body}
'''


def write(folder) -> None:
    for name, body in SHAPES.items():
        (folder / f"bench_{name}.py").write_text(TEMPLATE.format(name=name, body=body))
