"""Who did what, when: an append-only record of sensitive actions."""
