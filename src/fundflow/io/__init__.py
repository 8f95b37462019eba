"""The edges that write: exports (csv, xlsx, parquet, md, tex, the manifest), labels in English
and Chinese, text tables, output folders.
"""
