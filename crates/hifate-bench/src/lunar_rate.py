# Four pillars with lunar_python for the inputs in argv[1] ("Y M D h m" per
# line); writes "year month day time" pillars per line to argv[2] and prints
# "<count> <seconds>" for the timed loop (single process, single thread).
# Sect 1 takes the day pillar of 23:00-23:59 from the next day, the
# convention of the bazi crate, so that both compute the same pillars.
import sys
import time

from lunar_python import Solar

rows = []
with open(sys.argv[1], encoding="utf-8") as f:
    for line in f:
        if line.strip():
            rows.append(tuple(int(x) for x in line.split()))

start = time.perf_counter()
pillars = []
for (y, m, d, h, mi) in rows:
    ec = Solar.fromYmdHms(y, m, d, h, mi, 0).getLunar().getEightChar()
    ec.setSect(1)
    pillars.append((ec.getYear(), ec.getMonth(), ec.getDay(), ec.getTime()))
seconds = time.perf_counter() - start

with open(sys.argv[2], "w", encoding="utf-8") as f:
    for p in pillars:
        f.write(" ".join(p) + "\n")
print(len(rows), f"{seconds:.6f}")
