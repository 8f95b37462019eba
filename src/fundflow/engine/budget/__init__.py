"""The annual budget: government payments committed now, paid when due within the
year's budget, the rest waiting in a queue (docs/model.md, "Annual budget")."""
