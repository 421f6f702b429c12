"""Valuing outcomes: social return on investment (``sroi``). Pure: no Flask, no database."""
