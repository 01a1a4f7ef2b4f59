"""``python -m benchmarks``: run the benchmark suite and write benchmarks/results.md."""

from __future__ import annotations

import sys

from benchmarks.runner import main

sys.exit(main())
