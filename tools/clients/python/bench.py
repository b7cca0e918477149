"""Pipelined Assign throughput of the Python client, for `make bench` (tools/bench_clients.c):
    bench.py ENDPOINT EXPERIMENT_KEY N WINDOW
assigns customers bench-0 .. bench-<N-1> with liftclient's assign_pipelined (WINDOW requests in
flight on one connection) and prints "<requests> <seconds>" after checking every reply."""
import sys
import time

from liftclient import Client


def main():
    endpoint, key, n, window = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
    ids = ["bench-%d" % i for i in range(n)]
    with Client(endpoint, timeout_ms=10000, attempts=1) as c:
        c.ping()
        t0 = time.perf_counter()
        got = c.assign_pipelined(key, ids, window=window, trigger="usage_threshold",
                                 stage="growth", channel="in_app")
        dt = time.perf_counter() - t0
    bad = [a for a, cid in zip(got, ids) if a.customer_id != cid or not a.in_experiment]
    if bad:
        sys.exit("bench.py: %d replies wrong, first %r" % (len(bad), bad[0]))
    print(n, "%.6f" % dt)


if __name__ == "__main__":
    main()
