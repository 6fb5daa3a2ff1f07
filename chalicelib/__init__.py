"""signin-alerts' Lambda code: one package per feature, each `__init__` saying what lives
there and what it may import (tests/unit/test_layout.py keeps those rules). The modules
at this level are the base every package may use (`clock`, `logs`, `severity`,
`secret_shapes`, `aws_clients`, `settings`: they import only each other) and `container`,
which builds the parts and may import anything."""
