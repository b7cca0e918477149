/* The Node client against a real liftd (started by the clients suite, tests/check_clients.c).
 * Environment: LIFT_TEST_ENDPOINT (the liftd), LIFTCTL (the liftctl program). Run:
 *   LIFT_TEST_ENDPOINT=ipc://... LIFTCTL=build/liftctl node --test tools/clients/node/test/ */
"use strict";
const test = require("node:test");
const assert = require("node:assert/strict");
const fs = require("fs");
const path = require("path");
const { execFileSync } = require("child_process");
const zmq = require("zeromq");
const { Client, LiftError, names, root } = require("../lift");

const ROOT = path.join(__dirname, "..", "..", "..", "..");
const ENDPOINT = process.env.LIFT_TEST_ENDPOINT || "";
const LIFTCTL = process.env.LIFTCTL || path.join(ROOT, "build", "liftctl");
const CTX = { trigger: "usage_threshold", stage: "growth", channel: "in_app" };
const RUN = `js${process.pid}`; // keys of this run: the store may be shared with other suites
const skip = ENDPOINT ? false : "LIFT_TEST_ENDPOINT is not set";

function liftctl(args, input) {
  return execFileSync(LIFTCTL, ["--endpoint", ENDPOINT, ...args], { input, encoding: "utf8", timeout: 120000 });
}

function experiment(key, weights, more = {}) {
  return { key, arms: weights.map((w, i) => ({ name: i ? `arm-${i}` : "holdout", weight: w })), ...more };
}

/* The array literal `const name = [...]` of tests/growthbook_vectors.js (it cannot be required:
 * it loads the GrowthBook SDK). */
function jsArray(src, name) {
  const m = src.match(new RegExp(`const ${name} = (\\[[\\s\\S]*?\\n\\]);`));
  return new Function(`return ${m[1]};`)();
}

let c;
test.before(() => { if (ENDPOINT) c = new Client(ENDPOINT, { timeoutMs: 5000, attempts: 3 }); });
test.after(() => { if (c) c.close(); });

test("ping carries currency and clock", { skip }, async () => {
  const p = await c.ping();
  assert.equal(p.currency, "USD");
  assert.match(p.version, /^\d+\.\d+\.\d+$/);
  assert.ok(Math.abs(p.now_ms - Date.now()) < 60000);
});

test("growthbook vectors equal liftctl bucket", { skip }, async () => {
  const src = fs.readFileSync(path.join(ROOT, "tests", "growthbook_vectors.js"), "utf8");
  const settings = jsArray(src, "settings");
  const ids = jsArray(src, "ids");
  assert.equal(settings.length, 10);
  assert.ok(ids.includes("顧客-42") && ids.includes("😀"));
  let compared = 0;
  for (const [i, s] of settings.entries()) {
    const key = `${RUN}-gb-${i}`;
    const def = experiment(key, s.weights, { coverage: s.coverage, seed: s.seed });
    const args = ["bucket", "--seed", s.seed, "--weights", s.weights.join(","), "--coverage", String(s.coverage)];
    if (s.namespace) {
      const [id, lo, hi] = s.namespace;
      def.namespace = { id, lo, hi };
      args.push("--namespace", `${id}:${lo}:${hi}`);
    }
    await c.createExperiment(def);
    await c.start(key);
    const got = [...await c.assignBatch(key, ids.slice(0, 12), CTX),
      ...await c.assignPipelined(key, ids.slice(12), CTX, { window: 8 })];
    const want = new Map(liftctl(args, ids.join("\n") + "\n").trimEnd().split("\n").map((l) => {
      const t = l.lastIndexOf("\t");
      return [l.slice(0, t), Number(l.slice(t + 1))];
    }));
    assert.equal(want.size, ids.length);
    got.forEach((a, j) => {
      assert.equal(a.customer_id, ids[j]);
      assert.equal(a.arm_index, want.get(ids[j]), `setting ${i}, id ${ids[j]}`);
      assert.equal(a.in_experiment, want.get(ids[j]) >= 0);
      if (want.get(ids[j]) < 0) assert.ok(["outside_coverage", "outside_namespace"].includes(a.reason));
      compared++;
    });
  }
  assert.equal(compared, 10 * ids.length);
});

test("enum names: short form, refusals name the field and the valid names", { skip }, async () => {
  assert.equal(names("Trigger")[0], "usage_threshold");
  assert.ok(names("Channel").includes("push_sms"));
  await assert.rejects(c.assign("whatever", "cust-1", { ...CTX, trigger: "usage" }), (e) => {
    assert.ok(e instanceof LiftError && e.client);
    assert.equal(e.code, "INVALID_ARGUMENT");
    assert.equal(e.field, "assign.context.trigger");
    assert.match(e.message, /usage_threshold, feature_exploration/);
    return true;
  });
  await assert.rejects(c.createExperiment(experiment(`${RUN}-enum`, [0.5, 0.5], { eligibility: { channels: ["in_app", "CHANNEL_IN_APP"] } })),
    (e) => e.field === "create_experiment.experiment.eligibility.channels[1]" && /in_app, email, csm, chat, push_sms/.test(e.message));
  await assert.rejects(c.createExperiment({ key: "x", armz: [] }), (e) => e.field === "create_experiment.experiment.armz");
  await assert.rejects(c.createExperiment({ key: "x", coverage: "1" }), (e) => e.field === "create_experiment.experiment.coverage" && e.client);
});

test("server rejections carry field names", { skip }, async () => {
  await assert.rejects(c.createExperiment(experiment(`${RUN}-bad`, [0.5, 0.6])),
    (e) => e.code === "INVALID_ARGUMENT" && !e.client && e.field === "create_experiment.experiment.arms");
  await assert.rejects(c.createExperiment(experiment(`${RUN}-bad`, [0.5, 0.5], { coverage: 0 })),
    (e) => e.field === "create_experiment.experiment.coverage" && /leave it unset for 1/.test(e.message));
  await assert.rejects(c.getExperiment(`${RUN}-missing`), (e) => e.code === "NOT_FOUND");
  await assert.rejects(c.assign(`${RUN}-missing`, "c", CTX), (e) => e.code === "NOT_FOUND" && e.field === "assign.experiment_key");
  const key = `${RUN}-rej`;
  await c.createExperiment(experiment(key, [0.5, 0.5]));
  await c.start(key);
  const got = await c.assignBatch(key, ["ok-1", "", "x".repeat(129)], CTX);
  assert.equal(got[0].error, null);
  got.slice(1).forEach((a, i) => {
    assert.equal(a.reason, "invalid");
    assert.equal(a.error.code, "INVALID_ARGUMENT");
    assert.equal(a.error.field, `assign_batch.customer_ids[${i + 1}]`);
  });
  const now = (await c.ping()).now_ms;
  const r = await c.track([
    { event_id: `${RUN}-r1`, customer_id: "ok-1", type: "nps", timestamp_ms: now, nps_score: 11 },
    { event_id: `${RUN}-r2`, customer_id: "ok-1", type: "conversion", timestamp_ms: now, amount_minor: 4900, currency: "EUR" },
    { event_id: `${RUN}-r3`, customer_id: "ok-1", type: "churn", timestamp_ms: now },
  ]);
  assert.deepEqual([r.accepted, r.duplicates], [1, 0]);
  assert.deepEqual(r.rejected.map((x) => [x.index, x.field]), [[0, "track.events[0].nps_score"], [1, "track.events[1].currency"]]);
  assert.match(r.rejected[0].reason, /11/);
});

test("resends are duplicates", { skip }, async () => {
  const now = (await c.ping()).now_ms;
  const events = Array.from({ length: 50 }, (_, i) => ({
    event_id: `${RUN}-d${i}`, customer_id: `dup-${i}`, type: "conversion", timestamp_ms: now - i,
    amount_minor: 100 + i, plan_from: "team", plan_to: "pro",
  }));
  const first = await c.track(events);
  assert.deepEqual([first.accepted, first.duplicates, first.rejected], [50, 0, []]);
  const again = await c.track(events);
  assert.deepEqual([again.accepted, again.duplicates, again.conflicts], [0, 50, 0]);
  const changed = await c.track([{ ...events[7], amount_minor: 999 }]);
  assert.deepEqual([changed.accepted, changed.duplicates, changed.conflicts], [0, 0, 1]);
  assert.equal(changed.rejected[0].field, "track.events[0].event_id");
  const key = `${RUN}-sticky`;
  await c.createExperiment(experiment(key, [0.5, 0.5]));
  await c.start(key);
  const ids = Array.from({ length: 20 }, (_, i) => `s-${i}`);
  const a1 = await c.assignBatch(key, ids, CTX);
  const a2 = await c.assignBatch(key, ids, CTX);
  assert.ok(a1.every((a) => a.first_exposure));
  assert.ok(!a2.some((a) => a.first_exposure));
  assert.deepEqual(a1.map((a) => a.arm_index), a2.map((a) => a.arm_index));
  assert.equal((await c.getExperiment(key)).exposures, 20);
});

test("experiment calls", { skip }, async () => {
  const key = `${RUN}-life`;
  const def = experiment(key, [0.2, 0.8], {
    name: "Life", coverage: 0.5, eligibility: { triggers: ["usage_threshold"], stages: ["growth"] },
    analysis: { primary_metric: "conversion", alpha: 0.1 },
  });
  const x = await c.createExperiment(def);
  assert.deepEqual([x.status, x.coverage], ["draft", 0.5]);
  assert.deepEqual(x.eligibility.triggers, ["usage_threshold"]);
  assert.equal(x.analysis.primary_metric, "conversion");
  assert.equal((await c.createExperiment(def)).checksum, x.checksum);
  await assert.rejects(c.createExperiment({ ...def, name: "Other" }), (e) => e.code === "ALREADY_EXISTS");
  assert.ok((await c.listExperiments({ status: "draft" })).some((e) => e.key === key));
  assert.equal((await c.start(key)).status, "running");
  assert.equal((await c.start(key)).status, "running");
  assert.equal((await c.pause(key)).status, "paused");
  const a = await c.assign(key, "life-1", CTX);
  assert.deepEqual([a.in_experiment, a.reason], [false, "not_running"]);
  assert.equal((await c.resume(key)).status, "running");
  assert.equal((await c.ramp(key, 0.75)).coverage, 0.75);
  await assert.rejects(c.ramp(key, 0.25), (e) => e.field === "change_experiment.coverage");
  const b = await c.assign(key, "life-2", { trigger: "team_growth", stage: "growth", channel: "email" });
  assert.deepEqual([b.eligible, b.reason], [false, "trigger_not_allowed"]);
  assert.equal((await c.stop(key)).status, "stopped");
  assert.equal((await c.getExperiment(key)).status, "stopped");
  assert.ok(!(await c.listExperiments({ status: "running" })).some((e) => e.key === key));
});

test("report headline equals liftctl json", { skip }, async () => {
  const key = `${RUN}-report`;
  await c.createExperiment(experiment(key, [0.5, 0.5]));
  await c.start(key);
  const ids = Array.from({ length: 300 }, (_, i) => `rep-${String(i).padStart(3, "0")}`);
  const arms = new Map((await c.assignBatch(key, ids, CTX)).map((a) => [a.customer_id, a.arm_index]));
  const now = (await c.ping()).now_ms;
  const events = [];
  ids.forEach((id, i) => {
    if (i % 3 === 0 || (arms.get(id) === 1 && i % 3 === 1))
      events.push({ event_id: `${key}-c${i}`, customer_id: id, type: "conversion", timestamp_ms: now + 1000, amount_minor: 1000 + 37 * (i % 11) });
    if (arms.get(id) === 1)
      events.push({ event_id: `${key}-i${i}`, customer_id: id, type: "impression", timestamp_ms: now + 500, experiment_key: key, arm: 1 });
  });
  const t = await c.track(events);
  assert.deepEqual([t.accepted, t.rejected], [events.length, []]);
  const from = now - 3600000, to = now + 3600000;
  const rep = await c.report(key, { from_ms: from, to_ms: to, segment_by: ["channel"] });
  const js = JSON.parse(liftctl(["report", key, "--from", String(from), "--to", String(to), "--segment-by", "channel", "--format", "json"]));
  assert.equal(rep.provenance.currency, js.currency);
  assert.equal(rep.provenance.to_ms, to);
  assert.deepEqual(rep.arms.map((a) => a.exposed), js.arms.map((a) => a.exposed));
  assert.equal(rep.arms.reduce((s, a) => s + a.exposed, 0), 300);
  assert.deepEqual(rep.arms.map((a) => a.revenue_minor), js.arms.map((a) => a.revenue_minor));
  assert.equal(rep.comparisons.length, 1);
  const [cmp, jc] = [rep.comparisons[0], js.comparisons[0]];
  for (const name of ["revenue_diff", "relative_lift", "incremental_total", "net_incremental", "conversion_diff"]) {
    assert.ok(cmp[name].ok, `${name}: ${cmp[name].reason}`);
    assert.equal(cmp[name].unit, jc[name].unit);
    for (const f of ["estimate", "ci_low", "ci_high", "p_value"]) assert.equal(cmp[name][f], jc[name][f], `${name}.${f}`);
  }
  assert.ok(cmp.incremental_total.estimate > 0);
  assert.equal(cmp.revenue_diff.unit, "minor");
  assert.equal(cmp.relative_lift.unit, "fraction");
  assert.equal(rep.segments[0].dimension, "channel");
  assert.equal(rep.segments[0].level, js.segments[0].level);
});

test("program holdout: isHeldOut, the gate, the program report", { skip }, async () => {
  const hk = `${RUN}-prog`, ek = `${RUN}-prog-exp`;
  await c.createExperiment(experiment(ek, [0.5, 0.5]));
  liftctl(["holdout", "create", hk, "--percent", "20", "--experiments", ek, "--exclude-prefix", "staff-"]);
  liftctl(["holdout", "start", hk]);
  await c.start(ek);
  const ids = [...Array.from({ length: 200 }, (_, i) => `hp-${i}`), "staff-1"];
  const got = await c.isHeldOut(hk, ids);
  const want = new Map(liftctl(["holdout", "check", hk, ...ids]).trim().split("\n").map((l) => {
    const [id, held, group] = l.split("\t");
    return [id, [held === "held_out", group]];
  }));
  assert.deepEqual(new Map(got.map((g) => [g.customer_id, [g.held_out, g.group]])), want);
  assert.deepEqual(want.get("staff-1"), [false, "excluded"]);
  const held = new Set(got.filter((g) => g.held_out).map((g) => g.customer_id));
  assert.ok(held.size > 0);
  for (const a of await c.assignBatch(ek, ids, CTX)) {
    assert.equal(a.reason === "program_holdout", held.has(a.customer_id));
    assert.equal(a.in_experiment, !held.has(a.customer_id));
  }
  const rep = await c.programReport(hk);
  assert.equal(rep.program.held_out, held.size);
  assert.equal(rep.program.holdout.key, hk);
  assert.equal(rep.program.incremental_total.unit, "minor");
  assert.deepEqual(rep.arms.map((a) => a.arm_name), ["held_out", "measured"]);
  await assert.rejects(c.isHeldOut(`${RUN}-none`, ["x"]), (e) => e.code === "NOT_FOUND");
});

test("fail-over to the next endpoint, and no reply", { skip }, async () => {
  const dead = `ipc:///tmp/lift-no-such-${process.pid}.sock`;
  const f = new Client(`${dead},${ENDPOINT}`, { timeoutMs: 300, attempts: 2 });
  assert.equal((await f.ping()).currency, "USD");
  assert.deepEqual([f.endpoint, f.reconnects], [ENDPOINT, 1]);
  f.close();
  const d = new Client(dead, { timeoutMs: 100, attempts: 2 });
  const t0 = Date.now();
  await assert.rejects(d.ping(), (e) => e.code === "UNAVAILABLE" && e.message.includes(`no reply from ${dead} after 2 attempts of 100 ms`));
  assert.ok(Date.now() - t0 < 2000);
  d.close();
});

test("a status code this client does not know is not OK", { skip }, async () => {
  // A stand-in server: a late reply to an earlier request first, then status code 42.
  const router = new zmq.Router({ linger: 0 });
  await router.bind("tcp://127.0.0.1:*");
  const Req = root.lookupType("lift.Request"), Rep = root.lookupType("lift.Reply");
  const serve = (async () => {
    const [rid, frame] = await router.receive();
    const id = Number(Req.decode(frame).request_id);
    await router.send([rid, Rep.encode(Rep.create({ request_id: id - 1, status: { code: 0 }, pong: { version: "stale" } })).finish()]);
    await router.send([rid, Rep.encode(Rep.create({ request_id: id, status: { code: 42, message: "new" } })).finish()]);
  })();
  const u = new Client(router.lastEndpoint, { timeoutMs: 2000, attempts: 1 });
  await assert.rejects(u.ping(), (e) => e.code === "UNKNOWN(42)" && /new/.test(e.message));
  await serve;
  u.close();
  router.close();
});

test("unknown enum values: a reason is not eligible; Pong limits; an impression for another arm", { skip }, async () => {
  const A = root.lookupType("lift.Assignment");
  // A Reason this client has no name for (57, from a newer liftd), with eligible set.
  const raw = Buffer.concat([A.encode(A.create({ customer_id: "c", eligible: true, arm_index: -1 })).finish(), Buffer.from([0x20, 57])]);
  const Rep = root.lookupType("lift.Reply");
  const reply = Rep.decode(Rep.encode(Rep.create({ request_id: 1, status: { code: 0 }, assign: { assignments: [A.decode(raw)] } })).finish());
  const { assignment } = require("../lift.js")._internal;
  const a = assignment(reply.assign.assignments[0]);
  assert.deepEqual([a.reason, a.eligible, a.arm_index], ["unknown(57)", false, -1]);
  assert.throws(() => Client.check(Rep.decode(Buffer.from([0x08, 0x01, 0x12, 0x00]))), (e) => e.code === "UNKNOWN");
  const c = new Client(ENDPOINT);
  const p = await c.ping();
  assert.equal(p.hash_version, "growthbook-v2");
  assert.equal(p.limits.in_flight_per_connection, 1024);
  const key = `${RUN}-unk`;
  await c.createExperiment(experiment(key, [0.5, 0.5]));
  await c.start(key);
  const arm = (await c.assign(key, "u-1", CTX)).arm_index;
  const r = await c.track([{ event_id: `${RUN}-u1`, customer_id: "u-1", type: "impression", timestamp_ms: p.now_ms, experiment_key: key, arm: 1 - arm }]);
  assert.equal(r.rejected[0].field, "track.events[0].arm");
  assert.match(r.rejected[0].reason, new RegExp(`stored exposure has arm ${arm}`));
  c.close();
});
