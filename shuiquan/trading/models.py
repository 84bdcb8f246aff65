"""Models of the trading app."""
