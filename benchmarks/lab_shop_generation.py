"""How long the lab shop takes to generate, against the first synthetic shop at the same size.

Run: ``python benchmarks/lab_shop_generation.py``. For each size it generates both shops once,
in this run, on whatever else the machine is doing, and prints both wall times and their ratio
(the lab shop also writes varied texts, user descriptions and a query log).
"""

from __future__ import annotations

import time

from recsys_helpers.data.shop import make_lab_shop
from recsys_helpers.data.synthetic import make_shop

SIZES: dict[str, dict[str, int]] = {
    "default size": {},
    "1M impressions": {"n_users": 50_000, "n_items": 20_000, "n_sessions": 100_000},
}


def _seconds(make, **size) -> tuple[float, int]:
    started = time.perf_counter()
    shop = make(**size)
    return time.perf_counter() - started, len(shop.impressions)


def main() -> None:
    for label, size in SIZES.items():
        lab, n_lab = _seconds(make_lab_shop, **size)
        first, n_first = _seconds(make_shop, **size)
        print(f"{label:16s} lab shop {lab:6.1f} s ({n_lab:,} impressions), first shop "
              f"{first:6.1f} s ({n_first:,}); lab / first = {lab / first:.2f}x")


if __name__ == "__main__":
    main()
