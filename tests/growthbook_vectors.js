/* Golden assignment vectors from GrowthBook's own JavaScript SDK, for tests/check_assign.c.
 * It runs the real GrowthBook instance (gb.run with hashVersion 2) and prints C table rows;
 * it is not part of the build and nothing in Lift runs it.
 *
 * Regenerate (node >= 18, npm registry reachable), from the repository root:
 *   d=$(mktemp -d); (cd "$d" && npm init -y >/dev/null && npm install @growthbook/growthbook@1.8.0)
 *   NODE_PATH="$d/node_modules" node tests/growthbook_vectors.js > build/gb_vectors.inc
 * then replace the lines from "BEGIN GROWTHBOOK VECTORS" to "END GROWTHBOOK VECTORS" in
 * tests/check_assign.c with build/gb_vectors.inc (same rows unless the SDK's hashing changed).
 *
 * Per row: setting index, customer id (UTF-8 bytes as C octal escapes), the variation index
 * from gb.run() (-1 when result.inExperiment is false), n = the SDK's hash(seed, id, 2)
 * (result.bucket of a run with coverage 1 and no namespace) and, for settings with a
 * namespace, the SDK's namespace hash hash("__" + ns, id, 1) (-1 otherwise).
 */
"use strict";
const path = require("path");
const { GrowthBook } = require("@growthbook/growthbook");
/* hash() is not exported by the package entry point: load the SDK's own util module by file
 * path (the package "exports" map only guards bare specifiers), to print the raw values. */
const util = require(path.join(path.dirname(require.resolve("@growthbook/growthbook")), "util.js"));
const pkg = require(path.join(path.dirname(require.resolve("@growthbook/growthbook")), "..", "..", "package.json"));
if (pkg.version !== "1.8.0") throw new Error("expected @growthbook/growthbook 1.8.0, got " + pkg.version);

const settings = [
  { weights: [0.5, 0.5], coverage: 1, seed: "upsell-2024" },
  { weights: [0.1, 0.9], coverage: 1, seed: "holdout-10" },
  { weights: [0.1, 0.9], coverage: 0.5, seed: "holdout-10" },
  { weights: [0.1, 0.3, 0.6], coverage: 1, seed: "timing.test" },
  { weights: [0.1, 0.3, 0.6], coverage: 0.05, seed: "timing.test" },
  { weights: [0.2, 0.2, 0.2, 0.2, 0.2], coverage: 1, seed: "five_arms" },
  { weights: [0.2, 0.2, 0.2, 0.2, 0.2], coverage: 0.5, seed: "five_arms" },
  { weights: [0.5, 0.5], coverage: 1, seed: "upsell-2024", namespace: ["pricing", 0.2, 0.7] },
  { weights: [0.1, 0.9], coverage: 0.5, seed: "café-seed", namespace: ["pricing", 0.2, 0.7] },
  { weights: [0.1, 0.3, 0.6], coverage: 1, seed: "timing.test", namespace: ["onboarding-é", 0, 0.5] },
];

const ids = [
  "1", "42", "123456789", "cust-0001", "cust-0002", "user@example.com", "ABC-xyz_09",
  "a", "Z", "customer with spaces", "0000000000", "4294967295",
  "josé", "Zoë", "Ærøskøbing-7", "顧客-42", "客户", "ユーザー123",
  "cust-😀-7", "😀", "𝄞music", "mixé😀顧", "Straße", "naïve-café", "id-Ω-∑",
];

/* Ids whose n lands exactly on a range boundary, found deterministically with the SDK's hash:
 * the first "edge-<k>" (k = 0, 1, …) with hash(seed, id, 2) === target. */
const edges = [
  { setting: 0, target: 0.5 },  /* [0.5,0.5]: 0.5 is the start of arm 1 */
  { setting: 1, target: 0.1 },  /* [0.1,0.9]: start of arm 1 */
  { setting: 2, target: 0.05 }, /* coverage 0.5: end of arm 0's range, excluded */
  { setting: 2, target: 0.55 }, /* end of arm 1's range, excluded */
  { setting: 2, target: 0.1 },
  { setting: 5, target: 0.4 },
  { setting: 5, target: 0.6 },  /* 0.2+0.2+0.2 = 0.6000000000000001 in doubles */
  { setting: 5, target: 0.8 },
  { setting: 6, target: 0.9 },
  { setting: 3, target: 0.4 },
];

function cstr(s) {
  let out = "";
  for (const b of Buffer.from(s, "utf8")) {
    if (b >= 0x20 && b < 0x7f && b !== 0x22 && b !== 0x5c) out += String.fromCharCode(b);
    else out += "\\" + b.toString(8).padStart(3, "0");
  }
  return '"' + out + '"';
}

function run(st, id, cover, withNs) {
  const gb = new GrowthBook({ attributes: { id } });
  const exp = {
    key: "lift-vectors",
    variations: st.weights.map((_, i) => i),
    weights: st.weights,
    coverage: cover,
    seed: st.seed,
    hashVersion: 2,
  };
  if (withNs && st.namespace) exp.namespace = st.namespace;
  const r = gb.run(exp);
  gb.destroy();
  return r;
}

function row(si, id) {
  const st = settings[si];
  const r = run(st, id, st.coverage, true);
  const arm = r.inExperiment ? r.variationId : -1;
  const full = run(st, id, 1, false); /* always in: gives the raw n as result.bucket */
  const n = full.bucket;
  if (n !== util.hash(st.seed, id, 2)) throw new Error("bucket mismatch for " + id);
  const ns = st.namespace ? util.hash("__" + st.namespace[0], id, 1) : -1;
  return "    {" + si + ", " + cstr(id) + ", " + arm + ", " + n + ", " + ns + "},";
}

const lines = [];
lines.push("/* BEGIN GROWTHBOOK VECTORS: tests/growthbook_vectors.js, @growthbook/growthbook " + pkg.version + " */");
lines.push("/* clang-format off */");
lines.push("static const gb_setting_t gb_settings[] = {");
for (const st of settings) {
  const ns = st.namespace;
  lines.push("    {{" + st.weights.join(", ") + "}, " + st.weights.length + ", " + st.coverage + ", " + cstr(st.seed) + ", " +
    (ns ? cstr(ns[0]) + ", " + ns[1] + ", " + ns[2] : "NULL, 0, 0") + "},");
}
lines.push("};");
lines.push("static const gb_vector_t gb_vectors[] = {");
for (let si = 0; si < settings.length; si++) for (const id of ids) lines.push(row(si, id));
for (const e of edges) {
  const st = settings[e.setting];
  let k = 0;
  while (util.hash(st.seed, "edge-" + k, 2) !== e.target) k++;
  lines.push(row(e.setting, "edge-" + k));
}
lines.push("};");
lines.push("/* clang-format on */");
lines.push("/* END GROWTHBOOK VECTORS */");
process.stdout.write(lines.join("\n") + "\n");
