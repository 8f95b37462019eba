"""Shared-risk bank credit (政银担): loans, their service and the loss shares on
default (docs/model.md, "Credit with shared risk")."""
