"""Evaluator datasets: export profiles, de-identification and file formats."""
