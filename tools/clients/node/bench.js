/* Pipelined Assign throughput of the Node client, for `make bench` (tools/bench_clients.c):
 *   node bench.js ENDPOINT EXPERIMENT_KEY N WINDOW
 * assigns customers bench-0 .. bench-<N-1> with assignPipelined (WINDOW requests in flight on
 * one connection) and prints "<requests> <seconds>" after checking every reply. */
"use strict";
const { Client } = require("./lift");

(async () => {
  const [endpoint, key, n, window] = [process.argv[2], process.argv[3], Number(process.argv[4]), Number(process.argv[5])];
  const ids = Array.from({ length: n }, (_, i) => `bench-${i}`);
  const c = new Client(endpoint, { timeoutMs: 10000, attempts: 1 });
  await c.ping();
  const t0 = process.hrtime.bigint();
  const got = await c.assignPipelined(key, ids, { trigger: "usage_threshold", stage: "growth", channel: "in_app" }, { window });
  const dt = Number(process.hrtime.bigint() - t0) / 1e9;
  c.close();
  const bad = got.filter((a, i) => a.customer_id !== ids[i] || !a.in_experiment);
  if (bad.length) {
    console.error(`bench.js: ${bad.length} replies wrong, first ${JSON.stringify(bad[0])}`);
    process.exit(1);
  }
  console.log(`${n} ${dt.toFixed(6)}`);
})().catch((e) => {
  console.error(`bench.js: ${e.message}`);
  process.exit(1);
});
