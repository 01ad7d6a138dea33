"""Small shared helpers: paths, sanitising, units, line splitting, exports,
the error log, image reading."""
