"""The original power logger's sampling loop, for bench/bench_logger.c.

Written the way upstream's jetson/power_logging scripts do it: every sample
opens, reads and closes the voltage file and the current file, formats a
datetime, and appends a line to a list that is written out only at the end.

usage: logger_original.py VOLTAGE_FILE CURRENT_FILE OUT_FILE SECONDS
prints: samples=N seconds=S cpu=C
"""
import sys
import time
from datetime import datetime


def main():
    vpath, cpath, out, seconds = sys.argv[1], sys.argv[2], sys.argv[3], float(sys.argv[4])
    logs = []
    cpu0 = time.process_time()
    start = time.time()
    while time.time() - start < seconds:
        with open(vpath, "r") as voltage:
            mv = float(voltage.read())
        with open(cpath, "r") as current:
            ma = float(current.read())
        timestamp = datetime.now().strftime("%Y%m%d-%H:%M:%S.%f")
        logs.append(f"{timestamp},{mv},{ma}\n")
    elapsed = time.time() - start
    cpu = time.process_time() - cpu0
    with open(out, "w") as f:
        f.writelines(logs)
    print(f"samples={len(logs)} seconds={elapsed:.6f} cpu={cpu:.6f}")


if __name__ == "__main__":
    main()
