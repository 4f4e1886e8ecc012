"""The task execution API: how a running try reaches chordflow.

A try, wherever it runs (a child process of the worker, a task container, a pod), gets
the address of this API and a token bound to (run, task, map index, try); it holds no
database or broker credentials. Through the API it reads its context, pulls and pushes
XComs, reads and writes variables, reads connections, and reports its return value and
its skip / reschedule / fail signals. The worker that runs the try serves the API
(`server.py`, store side); the try uses `client.py` and `task_side.py`, which import
nothing of the store.
"""
