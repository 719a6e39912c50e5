"""The BFCL multi-turn corpus: locating it, replaying its gold paths, importing its entries as tasks."""
