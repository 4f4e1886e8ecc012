"""Split a SQL script into statements at top-level semicolons (no sqlparse needed)."""
from __future__ import annotations


def split_sql_string(sql: str, strip_semicolon: bool = False) -> list[str]:
    """Split a script at top-level `;`, dropping comments; quotes and `$$` bodies stay whole."""
    statements: list[str] = []
    current: list[str] = []
    i, n = 0, len(sql)
    while i < n:
        ch = sql[i]
        if ch in ("'", '"'):
            end = sql.find(ch, i + 1)
            while end != -1 and end + 1 < n and sql[end + 1] == ch:  # '' or "" escapes
                end = sql.find(ch, end + 2)
            end = n - 1 if end == -1 else end
            current.append(sql[i:end + 1])
            i = end + 1
        elif sql.startswith("--", i):
            end = sql.find("\n", i)
            i = n if end == -1 else end
        elif sql.startswith("/*", i):
            end = sql.find("*/", i + 2)
            current.append(" ")
            i = n if end == -1 else end + 2
        elif ch == "$" and (tag := _dollar_tag(sql, i)):
            end = sql.find(tag, i + len(tag))
            end = n if end == -1 else end + len(tag)
            current.append(sql[i:end])
            i = end
        elif ch == ";":
            if not strip_semicolon:
                current.append(";")
            statements.append("".join(current))
            current = []
            i += 1
        else:
            current.append(ch)
            i += 1
    statements.append("".join(current))
    return [s.strip() for s in statements if s.strip() and s.strip() != ";"]


def _dollar_tag(sql: str, i: int) -> str | None:
    """The PostgreSQL dollar-quote tag (`$$`, `$body$`) starting at `i`, if any."""
    end = sql.find("$", i + 1)
    if end == -1:
        return None
    tag = sql[i:end + 1]
    inner = tag[1:-1]
    if inner and not (inner.replace("_", "a").isalnum() and not inner[0].isdigit()):
        return None
    return tag


__all__ = ["split_sql_string"]
