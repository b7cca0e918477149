/* Lift client for Node: talks to liftd over ZeroMQ (npm zeromq 6, a DEALER socket) with the
 * lift.Request / lift.Reply messages of proto/lift.proto, loaded at run time by protobufjs.
 * Nothing else underneath (no C library, no generated code).
 *
 *   const { Client } = require("./lift");
 *   const c = new Client("tcp://127.0.0.1:5555");       // "tcp://a:5555,tcp://b:5555" fails over
 *   (await c.ping()).currency                             // "USD": amounts are in its minor units
 *   const a = await c.assign("upsell-q4", "cust-42",
 *       { trigger: "usage_threshold", stage: "growth", channel: "in_app" });
 *   a.arm_index, a.arm_name                               // -1 / null when not in the experiment
 *   c.close();
 *
 * Field names are the proto's (snake_case), in requests and results alike. Enum values are the
 * short lower-case names used by liftctl, the README and report JSON (usage_threshold, growth,
 * in_app, conversion, running, ...); an unknown name rejects with a LiftError (code
 * INVALID_ARGUMENT, client: true) naming the field and listing the valid names, before
 * anything is sent. Server errors reject with LiftError(code name, message, field).
 *
 * Reliability (Lazy Pirate): every request gets a fresh request_id; when no reply comes within
 * timeoutMs the socket is closed, a new one connected (to the next endpoint when several were
 * given) and the same bytes sent again, up to `attempts` times; then LiftError UNAVAILABLE
 * "no reply from ...". Replies to earlier requests are discarded by request_id. Safe, since
 * every Lift request is idempotent (sticky assignments, event_id deduplication, create of the
 * same definition is OK, state changes checked against the current state). Calls on one Client
 * run one after another (each waits for the previous); use several Clients for parallelism. */
"use strict";
const path = require("path");
const zmq = require("zeromq");
const protobuf = require("protobufjs");

const DEFAULT_TIMEOUT_MS = 3000;
const DEFAULT_ATTEMPTS = 3;
const REPORT_TIMEOUT_MS = 60000; // a report may take long: wait at least this once liftd answers

const PROTO = process.env.LIFT_PROTO || path.join(__dirname, "..", "..", "..", "proto", "lift.proto");
const root = new protobuf.Root();
root.loadSync(PROTO, { keepCase: true });
root.resolveAll();
const T = (name) => root.lookupType("lift." + name);
const Request = T("Request");
const Reply = T("Reply");

/* ---- enum names ------------------------------------------------------------------------- */

// Wire names are PREFIX_NAME, the short name is NAME in lower case; value 0 (UNSPECIFIED) has
// no short name, except Reason's REASON_NONE ("none": eligible) and TestFamily's FAMILY_NONE
// ("none": not a test).
const PREFIX = {
  Trigger: "TRIGGER_", Stage: "STAGE_", Channel: "CHANNEL_", ExperimentStatus: "STATUS_",
  Metric: "METRIC_", Action: "ACTION_", Reason: "REASON_", EventType: "EVENT_",
  Dimension: "DIMENSION_", Adjustment: "ADJUSTMENT_", TestFamily: "FAMILY_", Unit: "UNIT_",
  HoldoutLink: "LINK_", HoldoutGroup: "GROUP_",
};
const NAMES = {};  // enum -> Map(short name -> value)
const VALUES = {}; // enum -> Map(value -> short name)
for (const [e, prefix] of Object.entries(PREFIX)) {
  const en = root.lookupEnum("lift." + e);
  NAMES[e] = new Map();
  VALUES[e] = new Map();
  for (const [wire, v] of Object.entries(en.values)) {
    if (wire.endsWith("_UNSPECIFIED") || v >= 100) continue; // 0, and the readers' UNKNOWN
    const s = wire.slice(prefix.length).toLowerCase();
    NAMES[e].set(s, v);
    VALUES[e].set(v, s);
  }
}
const CODES = new Map(Object.entries(root.lookupEnum("lift.Code").values).map(([k, v]) => [v, k]));

/** The accepted short names of a lift enum ("Trigger", "Stage", ...), in proto order. */
function names(e) {
  return [...NAMES[e].keys()];
}

/** The wire value of short name `name` for `field` (a path, used in the error). */
function toWire(e, field, name) {
  const m = NAMES[e];
  if (typeof name === "string" && m.has(name)) return m.get(name);
  throw new LiftError("INVALID_ARGUMENT",
    `${field}: ${JSON.stringify(name)} is not one of ${names(e).join(", ")}`, field, true);
}

/** The short name of a wire value; "unspecified" for 0, "unknown(N)" for a value this client does
 * not know (a newer liftd): never mistaken for a known one. */
function fromWire(e, v) {
  if (VALUES[e].has(v)) return VALUES[e].get(v);
  return v === 0 ? "unspecified" : `unknown(${v})`;
}

/* ---- errors and conversions ------------------------------------------------------------- */

/** A failed call. code: the lift.Code name ("INVALID_ARGUMENT", ..., "UNKNOWN(n)" for a code this
 * client does not know, "PROTOCOL" for an undecodable reply); message; field (path or null);
 * client: true when refused before sending. */
class LiftError extends Error {
  constructor(code, message, field = null, client = false) {
    super(`${code}: ${message}`);
    this.name = "LiftError";
    this.code = code;
    this.field = field || null;
    this.client = client;
    this.detail = message;
  }
}

/* Units of every Estimate in a report (the names of liftctl's report JSON):
 *   minor               minor units of the deployment's currency (ping().currency,
 *                       report.provenance.currency)
 *   fraction            0.05 = 5 %
 *   fraction_difference a difference of two rates: 0.012 = +1.2 percentage points
 *   nps_points          Net Promoter Score points, -100..100 */
// liftd sets Estimate.unit on every estimate and the client reads it from there; this table is the
// fallback for an older liftd (the unit each field is documented with).
const UNITS = {
  revenue_diff: "minor", incremental_total: "minor", holdout_cost: "minor",
  net_incremental: "minor", cace: "minor", revenue_diff_uncapped: "minor", pre_period_diff: "minor",
  revenue_diff_shrunk: "minor", incremental_total_shrunk: "minor", nps_diff: "nps_points",
  relative_lift: "fraction", conversion_rate: "fraction",
  conversion_diff: "fraction_difference", churn_diff: "fraction_difference",
  ctr_diff: "fraction_difference", nps_before: "nps_points", nps_after: "nps_points",
  nps_change: "nps_points",
  revenue_per_customer: "minor", linked_sum: "minor", naive_gap: "minor", // Report.program
};

const has = (o, k) => Object.prototype.hasOwnProperty.call(o, k);
const num = (v) => (v !== null && typeof v === "object" && typeof v.toNumber === "function" ? v.toNumber() : v);

/** A decoded message as a plain object: the proto's field names, enums as short names, int64 as
 * Number, unset optional fields as null, repeated as arrays; Estimates get `unit`, and their
 * numbers are null when ok is false. */
function plain(type, msg, fieldName = "") {
  const out = {};
  for (const f of type.fieldsArray) {
    if (f.partOf && f.partOf.oneof.length > 1 && msg[f.partOf.name] !== f.name && !has(msg, f.name)) continue;
    const isEnum = f.resolvedType instanceof protobuf.Enum;
    const isMsg = f.resolvedType instanceof protobuf.Type;
    const conv = (v) => (isMsg ? plain(f.resolvedType, v, f.name)
      : isEnum ? fromWire(f.resolvedType.name, v) : num(v));
    if (f.repeated) out[f.name] = (msg[f.name] || []).map(conv);
    else out[f.name] = has(msg, f.name) ? conv(msg[f.name]) : null;
  }
  if (type.name === "Estimate") {
    out.ok = out.ok === true;
    if (!out.ok) for (const k of ["estimate", "se", "ci_low", "ci_high", "p_value", "p_adjusted"]) out[k] = null;
    // The unit the report sets ("unknown(N)" for one this client does not know: never guessed),
    // else the field's documented one (an older liftd).
    if (out.unit === null || out.unit === "unspecified") out.unit = UNITS[fieldName] || null;
  }
  return out;
}

/** A message of `type` from a plain object mirroring it (short enum names); unknown fields and
 * wrong types reject naming the field. Fields left out (or null) stay unset. */
function build(type, data, p) {
  if (data === null || typeof data !== "object" || Array.isArray(data))
    throw new LiftError("INVALID_ARGUMENT", `${p}: expected an object, got ${JSON.stringify(data)}`, p, true);
  const out = {};
  for (const [k, v] of Object.entries(data)) {
    const fp = p ? `${p}.${k}` : k;
    const f = type.fields[k];
    if (!f)
      throw new LiftError("INVALID_ARGUMENT",
        `${fp}: unknown field (${type.name} has ${Object.keys(type.fields).join(", ")})`, fp, true);
    if (v === null || v === undefined) continue;
    const one = (x, xp) => {
      if (f.resolvedType instanceof protobuf.Type) return build(f.resolvedType, x, xp);
      if (f.resolvedType instanceof protobuf.Enum) return toWire(f.resolvedType.name, xp, x);
      const ok = f.type === "string" ? typeof x === "string"
        : f.type === "bool" ? typeof x === "boolean"
        : f.type === "double" || f.type === "float" ? typeof x === "number"
        : Number.isInteger(x) || typeof x === "bigint";
      if (!ok)
        throw new LiftError("INVALID_ARGUMENT", `${xp}: ${JSON.stringify(x)} is not a ${f.type}`, xp, true);
      return typeof x === "bigint" ? x.toString() : x;
    };
    if (f.repeated) {
      if (!Array.isArray(v))
        throw new LiftError("INVALID_ARGUMENT", `${fp}: expected a list`, fp, true);
      out[k] = v.map((x, i) => one(x, `${fp}[${i}]`));
    } else out[k] = one(v, fp);
  }
  return type.create(out);
}

/* The name of a status's code: UNKNOWN(N) for a code this client does not know (a newer liftd),
 * UNKNOWN when none was sent (the proto's default). Never OK unless OK was sent. */
function codeName(status) {
  if (!status || !has(status, "code")) return "UNKNOWN";
  return CODES.get(status.code) || `UNKNOWN(${status.code})`;
}

function assignment(a) {
  // A reason this client does not know (or none) means "not eligible: unknown reason N".
  const known = has(a, "reason") && VALUES.Reason.has(a.reason);
  return {
    customer_id: a.customer_id || "",
    in_experiment: a.in_experiment === true,
    eligible: known && a.eligible === true,
    reason: known ? VALUES.Reason.get(a.reason) : has(a, "reason") && a.reason !== 100 ? `unknown(${a.reason})` : "unknown",
    arm_index: has(a, "arm_index") ? a.arm_index : -1,
    arm_name: has(a, "arm_name") ? a.arm_name : null,
    arm_payload: has(a, "arm_payload") ? a.arm_payload : null,
    first_exposure: a.first_exposure === true,
    error: has(a, "error")
      ? new LiftError(codeName(a.error), a.error.message || "", a.error.field)
      : null,
  };
}

function context(field, c = {}) {
  const ctx = {};
  for (const k of Object.keys(c))
    if (!["trigger", "stage", "channel", "trigger_time_ms", "open_support_ticket", "billing_dispute"].includes(k))
      throw new LiftError("INVALID_ARGUMENT", `${field}.${k}: unknown field (Context has trigger, stage, channel, trigger_time_ms, open_support_ticket, billing_dispute)`, `${field}.${k}`, true);
  if (c.trigger != null) ctx.trigger = toWire("Trigger", `${field}.trigger`, c.trigger);
  if (c.stage != null) ctx.stage = toWire("Stage", `${field}.stage`, c.stage);
  if (c.channel != null) ctx.channel = toWire("Channel", `${field}.channel`, c.channel);
  if (c.trigger_time_ms != null) ctx.trigger_time_ms = c.trigger_time_ms;
  if (c.open_support_ticket) ctx.open_support_ticket = true;
  if (c.billing_dispute) ctx.billing_dispute = true;
  return ctx;
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/* ---- the client ------------------------------------------------------------------------- */

class Client {
  /** endpoints: "tcp://host:port", "ipc:///path", or several comma-separated (an attempt that
   * times out moves to the next). opts.timeoutMs: per-attempt wait (default 3000);
   * opts.attempts: sends before giving up (default 3; 1 = no retry). */
  constructor(endpoints, opts = {}) {
    const list = Array.isArray(endpoints) ? endpoints : String(endpoints).split(",");
    this.endpoints = list.map((e) => e.trim()).filter((e) => e);
    if (!this.endpoints.length) throw new LiftError("INVALID_ARGUMENT", "endpoints: none given", "endpoints", true);
    this.timeoutMs = opts.timeoutMs ?? DEFAULT_TIMEOUT_MS;
    this.attempts = opts.attempts ?? DEFAULT_ATTEMPTS;
    if (!Number.isInteger(this.timeoutMs) || this.timeoutMs <= 0)
      throw new LiftError("INVALID_ARGUMENT", `timeoutMs: ${this.timeoutMs} is not a positive integer`, "timeoutMs", true);
    if (!Number.isInteger(this.attempts) || this.attempts < 1)
      throw new LiftError("INVALID_ARGUMENT", `attempts: ${this.attempts} is not a positive integer`, "attempts", true);
    this.current = 0;
    this.reconnects = 0; // sockets replaced after a timeout
    this.sock = null;
    this.nextId = Math.floor(Math.random() * 2 ** 40) + 1;
    this.chain = Promise.resolve();
  }

  /** The endpoint requests go to now. */
  get endpoint() {
    return this.endpoints[this.current];
  }

  close() {
    if (this.sock) {
      this.sock.close();
      this.sock = null;
    }
  }

  socket() {
    if (!this.sock) {
      this.sock = new zmq.Dealer({ linger: 0, ipv6: true });
      this.sock.connect(this.endpoint);
    }
    return this.sock;
  }

  /* Lazy Pirate: drop the socket (and whatever it holds), take the next endpoint. */
  reopen() {
    this.close();
    this.reconnects++;
    this.current = (this.current + 1) % this.endpoints.length;
  }

  serial(fn) {
    const run = this.chain.then(fn, fn);
    this.chain = run.catch(() => {});
    return run;
  }

  static decode(frame) {
    try {
      return Reply.decode(frame);
    } catch (e) {
      throw new LiftError("PROTOCOL", `undecodable reply (${frame.length} bytes): ${e.message}`);
    }
  }

  /* Throws unless the reply's status is OK; a code this client does not know is an error. */
  static check(reply) {
    const st = reply.status;
    if (!st) throw new LiftError("UNKNOWN", "reply without a status");
    if (!has(st, "code") || st.code !== 0) {
      throw new LiftError(codeName(st), st.message || "", st.field || null);
    }
    return reply;
  }

  /* One request (body: a Request body object) with retries: the decoded Reply, any status. */
  async rawCall(body, timeoutMs, attempts = this.attempts) {
    const timeout = timeoutMs || this.timeoutMs;
    const rid = this.nextId++;
    const bytes = Request.encode(Request.create({ ...body, request_id: rid })).finish();
    const tried = [];
    for (let i = 0; i < attempts; i++) {
      const sock = this.socket();
      tried.push(this.endpoint);
      await sock.send(bytes);
      const deadline = Date.now() + timeout;
      for (;;) {
        const left = deadline - Date.now();
        if (left <= 0) break;
        sock.receiveTimeout = left;
        let frames;
        try {
          frames = await sock.receive();
        } catch (e) {
          if (e.code === "EAGAIN") break;
          throw e;
        }
        const reply = Client.decode(frames[frames.length - 1]);
        if (num(reply.request_id) !== rid) continue; // a late answer to an earlier request
        return reply;
      }
      this.reopen();
    }
    throw new LiftError("UNAVAILABLE",
      `no reply from ${[...new Set(tried)].join(", ")} after ${attempts} attempts of ${timeout} ms`);
  }

  /** Sends any Request body ({ping: {}}, {assign: {...}}, ... as protobufjs objects with wire
   * enum values) and resolves to the decoded lift.Reply, whatever its status. */
  call(body, timeoutMs) {
    return this.serial(() => this.rawCall(body, timeoutMs));
  }

  async ok(body, timeoutMs, attempts) {
    return Client.check(await this.rawCall(body, timeoutMs, attempts));
  }

  /** {version, now_ms (the server's clock), currency (ISO 4217 of every amount), hash_version,
   * limits (lift.Limits as a plain object: in_flight_per_connection, batch_max, ...; null from an
   * older liftd)} */
  ping() {
    return this.serial(async () => {
      const p = (await this.ok({ ping: {} })).pong;
      return {
        version: p.version || "", now_ms: num(p.now_ms), currency: has(p, "currency") ? p.currency : null,
        hash_version: has(p, "hash_version") ? p.hash_version : null,
        limits: has(p, "limits") ? plain(T("Limits"), p.limits) : null,
      };
    });
  }

  /** One customer's decision. ctx: {trigger, stage, channel} (short names, required by liftd),
   * trigger_time_ms (default: decision time), open_support_ticket, billing_dispute. */
  assign(experimentKey, customerId, ctx) {
    return this.serial(async () => {
      const c = context("assign.context", ctx);
      const r = await this.ok({ assign: { experiment_key: experimentKey, customer_id: customerId, context: c } });
      return assignment(r.assign.assignments[0]);
    });
  }

  /** 1..10000 customers in one context (AssignBatch): assignments in input order. */
  assignBatch(experimentKey, customerIds, ctx) {
    return this.serial(async () => {
      const c = context("assign_batch.context", ctx);
      const r = await this.ok({ assign_batch: { experiment_key: experimentKey, customer_ids: [...customerIds], context: c } });
      return r.assign.assignments.map(assignment);
    });
  }

  /** One Assign per customer with up to opts.window (default 64) in flight on the socket;
   * replies arrive in any order and are matched by request_id. Assignments in input order. A
   * stall of timeoutMs resends what is outstanding on a fresh socket, up to `attempts` times
   * in a row. */
  assignPipelined(experimentKey, customerIds, ctx, opts = {}) {
    return this.serial(async () => {
      const window = opts.window || 64;
      const c = context("assign.context", ctx);
      const ids = [...customerIds];
      const out = new Array(ids.length).fill(null);
      const pending = new Map(); // request_id -> [index, bytes]
      let next = 0, stalls = 0, done = 0;
      while (done < ids.length) {
        let sock = this.socket();
        while (next < ids.length && pending.size < window) {
          const rid = this.nextId++;
          const bytes = Request.encode(Request.create({
            request_id: rid, assign: { experiment_key: experimentKey, customer_id: ids[next], context: c },
          })).finish();
          pending.set(rid, [next, bytes]);
          await sock.send(bytes);
          next++;
        }
        sock.receiveTimeout = this.timeoutMs;
        let frames = null;
        try {
          frames = await sock.receive();
        } catch (e) {
          if (e.code !== "EAGAIN") throw e;
        }
        if (frames) {
          stalls = 0;
          const reply = Client.decode(frames[frames.length - 1]);
          const slot = pending.get(num(reply.request_id));
          if (!slot) continue;
          pending.delete(num(reply.request_id));
          out[slot[0]] = assignment(Client.check(reply).assign.assignments[0]);
          done++;
          continue;
        }
        if (++stalls >= this.attempts)
          throw new LiftError("UNAVAILABLE", `no reply from ${this.endpoint} for ${this.timeoutMs} ms, ${stalls} times in a row (${pending.size} requests outstanding)`);
        this.reopen();
        sock = this.socket();
        for (const [, bytes] of pending.values()) await sock.send(bytes);
      }
      return out;
    });
  }

  /** Sends 1..10000 events (objects mirroring lift.Event; type a short name: impression, click,
   * conversion, refund, churn, nps; amounts in integer minor units) as one Track; resolves once
   * liftd committed them to {accepted, duplicates, conflicts, rejected: [{index, event_id,
   * field, reason}]}. RESOURCE_EXHAUSTED and UNAVAILABLE replies are retried with a short
   * back-off, like timeouts: liftd deduplicates by event_id. */
  track(events) {
    return this.serial(async () => {
      const Event = T("Event");
      const evs = events.map((e, i) => build(Event, e, `track.events[${i}]`));
      let r;
      for (let i = 0; ; i++) {
        try {
          r = (await this.ok({ track: { events: evs } })).track;
          break;
        } catch (e) {
          if (!(e instanceof LiftError) || !["RESOURCE_EXHAUSTED", "UNAVAILABLE"].includes(e.code) || i + 1 >= this.attempts) throw e;
          await sleep(50 * (i + 1));
        }
      }
      return {
        accepted: r.accepted || 0, duplicates: r.duplicates || 0, conflicts: r.conflicts || 0,
        rejected: (r.rejected || []).map((x) => ({ index: x.index || 0, event_id: x.event_id || "", field: x.field || null, reason: x.reason || "" })),
      };
    });
  }

  /** Registers an experiment (draft) from an object mirroring lift.Experiment (short enum names,
   * as examples/experiment.json); fields left out are unset: the server's default. Resolves to
   * the experiment as liftd holds it. Same definition again: OK; another: ALREADY_EXISTS. */
  createExperiment(def) {
    return this.serial(async () => {
      const x = build(T("Experiment"), def, "create_experiment.experiment");
      return plain(T("Experiment"), (await this.ok({ create_experiment: { experiment: x } })).experiment);
    });
  }

  getExperiment(key) {
    return this.serial(async () => plain(T("Experiment"), (await this.ok({ get_experiment: { key } })).experiment));
  }

  /** Every experiment, or those with opts.status (draft, running, paused, stopped). */
  listExperiments(opts = {}) {
    return this.serial(async () => {
      const q = {};
      if (opts.status != null) q.status = toWire("ExperimentStatus", "list_experiments.status", opts.status);
      const r = await this.ok({ list_experiments: q });
      return (r.experiments.experiments || []).map((x) => plain(T("Experiment"), x));
    });
  }

  change(key, action, coverage) {
    return this.serial(async () => {
      const c = { key, action: toWire("Action", "change_experiment.action", action) };
      if (coverage != null) c.coverage = coverage;
      return plain(T("Experiment"), (await this.ok({ change_experiment: c })).experiment);
    });
  }

  start(key) { return this.change(key, "start"); }
  pause(key) { return this.change(key, "pause"); }
  resume(key) { return this.change(key, "resume"); }
  stop(key) { return this.change(key, "stop"); }
  ramp(key, coverage) { return this.change(key, "ramp", coverage); }

  /** The incrementality report: lift.Report as a plain object (Estimates carry `unit`, see UNITS;
   * money in minor units of report.provenance.currency, rates as fractions). opts: ReportRequest
   * fields (from_ms, to_ms, segment_by: ["trigger", ...], alpha, sequential, cuped,
   * cuped_lookback_days, revenue_cap_percentile, retention_days, cost_per_attempt_minor, n_star);
   * those left out are unset (the server's default), plus timeoutMs. Each attempt pings first
   * with the client's own timeout, then waits at least 60 s for the report. */
  report(experimentKey, opts = {}) {
    const { timeoutMs, ...fields } = opts;
    return this.reportOf({ ...fields, experiment_key: experimentKey }, timeoutMs);
  }

  /** The program report of a holdout (ReportRequest.holdout_key): lift.Report with `program`
   * set (arm 0 = held out, arm 1 = the measurement slice). opts as report(). */
  programReport(holdoutKey, opts = {}) {
    const { timeoutMs, ...fields } = opts;
    return this.reportOf({ ...fields, holdout_key: holdoutKey }, timeoutMs);
  }

  /** IsHeldOut: resolves to [{customer_id, held_out, group, error}] in input order; held_out is
   * true when the customer is in the held-out group of a running holdout (send no upsell);
   * group is "none", "held_out", "measured" or "excluded"; error a message or null. */
  isHeldOut(holdoutKey, customerIds) {
    return this.serial(async () => {
      const r = await this.ok({ is_held_out: { holdout_key: holdoutKey, customer_ids: customerIds } });
      return (r.held_out.customers || []).map((c) => ({
        customer_id: c.customer_id || "", held_out: !!c.held_out,
        group: fromWire("HoldoutGroup", c.group || 0), error: c.error ? c.error.message || "" : null,
      }));
    });
  }

  reportOf(fields, timeoutMs) {
    return this.serial(async () => {
      const q = build(T("ReportRequest"), fields, "report");
      const wait = Math.max(timeoutMs || 0, REPORT_TIMEOUT_MS, this.timeoutMs);
      let last = null;
      for (let i = 0; i < this.attempts; i++) {
        await this.ok({ ping: {} });
        try {
          return plain(T("Report"), (await this.ok({ report: q }, wait, 1)).report);
        } catch (e) {
          if (!(e instanceof LiftError) || e.code !== "UNAVAILABLE" || e.client) throw e;
          last = e;
        }
      }
      throw new LiftError("UNAVAILABLE", `no report from ${this.endpoint}: ${last.detail}`);
    });
  }
}

module.exports = { Client, LiftError, names, toWire, fromWire, UNITS, root, _internal: { assignment, codeName } };
