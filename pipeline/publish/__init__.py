"""Publish: a brief becomes an email, an archive page, and a delivery.

compose   the email to its size budget, the brief's files, the archive pages it changes
site      the archive's index, month, thread and feed pages
render    Jinja2 templates to HTML and text (one environment, autoescaped)
serialize a brief to brief.json and back
archive   atomic writes confined to the output folder
mail      the MIME message and the SMTP client
outbox    the delivery ledger: built, sending, sent or failed, exactly once
personal  the brief's one message made each subscriber's (their To, Message-ID, unsubscribe link)
tokens    signed confirm and unsubscribe links (HMAC-SHA256 with BRIEF_SECRET), the web paths
subscriptions  double opt-in and one-click unsubscribe: what `brief serve` and the CLI call
"""
