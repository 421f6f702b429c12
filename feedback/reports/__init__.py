"""Manager reports: response rates and change that lasted, as tables and charts, safe for small numbers."""
