"""Optimizers: update rules on plain arrays (rules) and the classes that wrap them."""
