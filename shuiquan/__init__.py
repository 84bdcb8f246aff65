"""Shuiquan (水权): the water-rights registry and market platform for Nanyang."""
