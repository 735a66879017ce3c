"""Print sphinx-gallery's execution-time table (docs/sg_execution_times.rst) as plain rows."""

import re
import sys
from pathlib import Path

path = Path(sys.argv[1] if len(sys.argv) > 1 else "docs/sg_execution_times.rst")
if not path.is_file():
    sys.exit(0)
text = path.read_text(encoding="utf-8")
total = re.search(r"\*\*(\d\d:\d\d\.\d+)\*\*", text)
if total:
    print(f"total execution time: {total.group(1)}")
for ref, t in re.findall(r"\* - :ref:`sphx_glr_auto_examples_(\S+?)` \(``.*?``\)\n\s+- (\S+)", text):
    print(f"{t}  {ref}")
