"""Synthetic scanner findings in the shape of `sample_data/findings.csv`, at any size.

`write_sample_csv(out, rows, seed)` writes a header and `rows` findings; output is identical for
identical arguments. The package splits the generator from its data tables:

- `generator`: the row generator, `write_sample_csv` and `SAMPLE_COLUMNS`.
- `services`: services, categories, severities, their percentage mix and the scanners.
- `code_templates` (with `code_templates_data` and `code_templates_app`): code-finding
  templates per category and language, and their fill values.
- `dependencies` (with `dependencies_java_python` and `dependencies_typescript_go`): real
  vulnerable package versions per ecosystem, manifests, and dependency titles and descriptions.
- `records`: the row types of those tables.
"""

from engine.sample.generator import SAMPLE_COLUMNS, write_sample_csv

__all__ = ["SAMPLE_COLUMNS", "write_sample_csv"]
