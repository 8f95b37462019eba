"""The R&D super-deduction's tax forgone, settled at each budget year's end
(docs/model.md, "Tax")."""
