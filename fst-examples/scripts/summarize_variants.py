#!/usr/bin/env python3
"""Summarises RESULT lines of fst-variants.sh (stdin) as a Markdown table: per variant, the average
clean accuracy and attack success rate after purification and their standard deviations, over the
rows where the attack took (ASR before >= 50 %), with the average drop of clean accuracy."""
import statistics
import sys
from collections import OrderedDict

rows = OrderedDict()
for line in sys.stdin:
    if not line.startswith("RESULT;"):
        continue
    _, model, attack, rate, variant, clean0, asr0, clean, asr, held0, held1 = line.strip().split(";")
    if float(asr0) < 50:
        continue
    rows.setdefault(variant, []).append((float(clean0), float(asr0), float(clean), float(asr)))

print("| variant | rows | clean after (avg ± std) | drop (avg) | ASR after (avg ± std) | rows with ASR <= 5 % |")
print("|---|---|---|---|---|---|")
for variant, values in rows.items():
    clean = [v[2] for v in values]
    asr = [v[3] for v in values]
    drop = [v[0] - v[2] for v in values]
    sd = (lambda xs: statistics.pstdev(xs) if len(xs) > 1 else 0.0)
    print(f"| `{variant}` | {len(values)} | {statistics.mean(clean):.2f} ± {sd(clean):.2f} | "
          f"{statistics.mean(drop):.2f} | {statistics.mean(asr):.2f} ± {sd(asr):.2f} | "
          f"{sum(a <= 5 for a in asr)} |")
