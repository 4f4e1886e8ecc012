"""EmailOperator and send_email against a local SMTP server, through the CLI."""
import email
import socket

import pytest

from cluster.control import services
from tests.servers import ok


class Inbox:
    """aiosmtpd handler keeping every message it receives."""

    def __init__(self):
        self.messages = []

    async def handle_DATA(self, server, session, envelope):
        self.messages.append((envelope.mail_from, sorted(envelope.rcpt_tos),
                              email.message_from_bytes(envelope.content)))
        return "250 OK"


@pytest.fixture(scope="module")
def smtp():
    from aiosmtpd.controller import Controller

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    inbox = Inbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    yield port, inbox
    controller.stop()


@pytest.fixture(scope="module")
def mail(cluster_env, smtp):
    cluster_env.scheduler()
    cluster_env.worker(concurrency=2)
    return cluster_env


def test_email_operator_and_send_email_reach_the_smtp_server(mail, smtp):
    port, inbox = smtp
    # Without the connection the task fails, naming it.
    done = mail.cli("trigger", "mail_dag", "--wait")
    handle = mail.cluster()
    try:
        run, tis = services.run_details(handle, services.list_runs(handle, "mail_dag")[0].id)
    finally:
        handle.close()
    assert done.returncode == 1 and "smtp_default" in {t.task_id: t for t in tis}["mail"].error
    ok(mail.cli("connections", "add", "smtp_default", "--conn-uri",
                f"smtp://127.0.0.1:{port}?disable_tls=true&from_email=cf%40example.com"))
    ok(mail.cli("trigger", "mail_dag", "--wait", "--logical-date", "2024-07-08"))
    assert len(inbox.messages) == 2
    sender, rcpts, msg = inbox.messages[0]
    assert sender == "cf@example.com"
    assert rcpts == ["a@example.com", "b@example.com", "c@example.com"]
    assert msg["Subject"] == "Run 2024-07-08" and msg["X-Chordflow"] == "yes"
    parts = list(msg.walk())
    html = next(p for p in parts if p.get_content_type() == "text/html")
    assert html.get_payload(decode=True).decode() == "<b>report</b> is ready"
    assert [p.get_filename() for p in parts if p.get_filename()] == ["ft_query.sql"]
    sender, rcpts, msg = inbox.messages[1]
    assert rcpts == ["audit@example.com", "oncall@example.com", "ops@example.com"]
    assert msg["Subject"] == "from send_email" and "audit" not in msg.get("To", "")
