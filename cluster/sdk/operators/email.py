"""EmailOperator: send an e-mail through the SMTP connection."""
from __future__ import annotations

from typing import Any, Iterable, Sequence

from cluster.sdk.email import send_email
from cluster.sdk.operators.base import BaseOperator


class EmailOperator(BaseOperator):
    """Sends an HTML e-mail (Airflow's EmailOperator) through `conn_id` (`smtp_default`).

    Parameters:
      to / cc / bcc: addresses (a list, or one string separated by commas), templated.
      subject / html_content: templated; html_content may name a `.html` template file.
      files: paths of attachments (templated).
      from_email: the sender (else the connection's `from_email` extra or its login).
      mime_subtype / mime_charset / custom_headers: as Airflow's.
    """

    template_fields: Sequence[str] = ("to", "from_email", "subject", "html_content", "files")
    template_fields_renderers = {"html_content": "html"}
    template_ext: Sequence[str] = (".html",)
    ui_color = "#e6faf9"

    def __init__(self, *, to: str | Iterable[str], subject: str, html_content: str,
                 files: list[str] | None = None, cc: str | Iterable[str] | None = None,
                 bcc: str | Iterable[str] | None = None, mime_subtype: str = "mixed",
                 mime_charset: str = "utf-8", conn_id: str | None = None,
                 from_email: str | None = None, custom_headers: dict[str, Any] | None = None,
                 **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.to, self.subject, self.html_content = to, subject, html_content
        self.files, self.cc, self.bcc = files or [], cc, bcc
        self.mime_subtype, self.mime_charset = mime_subtype, mime_charset
        self.conn_id, self.from_email, self.custom_headers = conn_id, from_email, custom_headers

    def execute(self, context: dict[str, Any]) -> None:
        send_email(self.to, self.subject, self.html_content, files=self.files, cc=self.cc,
                   bcc=self.bcc, mime_subtype=self.mime_subtype,
                   mime_charset=self.mime_charset, conn_id=self.conn_id,
                   from_email=self.from_email, custom_headers=self.custom_headers)


__all__ = ["EmailOperator"]
