"""Print the commands of the README's "Quick start" code block, one per line."""

import re
from pathlib import Path

readme = Path(__file__).resolve().parent.parent.joinpath("README.md").read_text(encoding="utf-8")
section = readme.split("## Quick start", 1)[1].split("\n## ", 1)[0]
block = re.search(r"```(?:bash|sh|console)?\n(.*?)```", section, re.S).group(1)
for line in block.splitlines():
    line = line.strip()
    if line and not line.startswith("#"):
        print(line)
