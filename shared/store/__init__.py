"""The one table: a helper that runs typed operations (table.py) and one repository per
area, each owning its key shapes. Access patterns: ACCESS_PATTERNS.md beside this file."""
