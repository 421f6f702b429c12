"""Email as a channel: composing messages, sending them (outbox or SMTP), unsubscribing."""
