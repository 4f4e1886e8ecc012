"""Sending e-mail through an SMTP connection: Airflow's `send_email` and its options."""
from __future__ import annotations

import os
import smtplib
import ssl
from email.mime.application import MIMEApplication
from email.mime.multipart import MIMEMultipart
from email.mime.text import MIMEText
from email.utils import formatdate
from typing import Any, Iterable

from cluster.errors import AirflowException
from cluster.sdk.hooks import BaseHook

DEFAULT_CONN_ID = "smtp_default"


def get_email_address_list(addresses: str | Iterable[str] | None) -> list[str]:
    """Addresses given as a list, or one string separated by commas or semicolons."""
    if not addresses:
        return []
    if isinstance(addresses, str):
        return [a.strip() for a in addresses.replace(";", ",").split(",") if a.strip()]
    return [a.strip() for a in addresses]


def build_message(to: list[str], subject: str, html_content: str, from_email: str,
                  files: Iterable[str] | None = None, cc: list[str] | None = None,
                  mime_subtype: str = "mixed", mime_charset: str = "utf-8",
                  custom_headers: dict[str, Any] | None = None) -> MIMEMultipart:
    message = MIMEMultipart(mime_subtype)
    message["Subject"] = subject
    message["From"] = from_email
    message["To"] = ", ".join(to)
    if cc:
        message["CC"] = ", ".join(cc)
    message["Date"] = formatdate(localtime=True)
    message.attach(MIMEText(html_content, "html", mime_charset))
    for path in files or []:
        with open(path, "rb") as fh:
            part = MIMEApplication(fh.read(), Name=os.path.basename(path))
        part["Content-Disposition"] = f'attachment; filename="{os.path.basename(path)}"'
        message.attach(part)
    for name, value in (custom_headers or {}).items():
        message[name] = value
    return message


def send_email(to: str | Iterable[str], subject: str, html_content: str,
               files: Iterable[str] | None = None, dryrun: bool = False,
               cc: str | Iterable[str] | None = None, bcc: str | Iterable[str] | None = None,
               mime_subtype: str = "mixed", mime_charset: str = "utf-8",
               conn_id: str | None = None, from_email: str | None = None,
               custom_headers: dict[str, Any] | None = None, **kwargs: Any) -> None:
    """Send an HTML e-mail through the SMTP connection `conn_id` (`smtp_default`).

    The connection gives host, port, login and password; its extras `from_email`,
    `disable_tls` (STARTTLS is used unless true), `disable_ssl` (false means SMTP over
    SSL, as does the conn type `smtps` or port 465) and `timeout` (seconds, 30).
    """
    if kwargs:
        raise TypeError(f"send_email(): unexpected argument(s) {', '.join(sorted(kwargs))}")
    recipients = get_email_address_list(to)
    if not recipients:
        raise AirflowException("send_email(): no recipient (to) given")
    cc_list, bcc_list = get_email_address_list(cc), get_email_address_list(bcc)
    conn = BaseHook.get_connection(conn_id or DEFAULT_CONN_ID)
    extra = conn.extra_dejson
    sender = from_email or extra.get("from_email") or conn.login
    if not sender:
        raise AirflowException(
            f"send_email(): no sender: give from_email, or the connection "
            f"{conn.conn_id!r} a login or a from_email extra")
    message = build_message(recipients, subject, html_content, sender, files, cc_list,
                            mime_subtype, mime_charset, custom_headers)
    if dryrun:
        return
    use_ssl = conn.conn_type == "smtps" or conn.port == 465 or \
        str(extra.get("disable_ssl", "true")).lower() == "false"
    use_tls = not use_ssl and str(extra.get("disable_tls", "false")).lower() != "true"
    timeout = float(extra.get("timeout", 30))
    host, port = conn.host or "localhost", conn.port or (465 if use_ssl else 25)
    client: smtplib.SMTP
    if use_ssl:
        client = smtplib.SMTP_SSL(host, port, timeout=timeout,
                                  context=ssl.create_default_context())
    else:
        client = smtplib.SMTP(host, port, timeout=timeout)
    with client:
        if use_tls:
            client.starttls(context=ssl.create_default_context())
        if conn.login and conn.password:
            client.login(conn.login, conn.password)
        client.sendmail(sender, recipients + cc_list + bcc_list, message.as_string())


__all__ = ["get_email_address_list", "send_email"]
