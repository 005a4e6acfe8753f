"""Helpers of the host dashboard's HTML forms: parsing, validation messages, display.

Kept apart from the routes so each route module stays a thin boundary and the
parsing rules (minor units, blank fields, per-field messages) have one home.
"""
