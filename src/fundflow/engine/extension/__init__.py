"""Extension (延期): a failed review extended once, at extra cost, then reviewed
again (docs/model.md, "Extension")."""
