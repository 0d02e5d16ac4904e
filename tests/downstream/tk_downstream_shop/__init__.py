"""A small shop: the downstream project the plugin tests run against."""
