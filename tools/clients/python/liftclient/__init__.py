"""Lift client for Python: talks to liftd over ZeroMQ with the lift.Request / lift.Reply
protobuf messages of proto/lift.proto, and nothing else (no C library underneath).

Needs Debian's python3-zmq and python3-protobuf, and the module `lift_pb2` that
`protoc --python_out=DIR proto/lift.proto` generates (`make clients` writes it to
build/gen/python; put that directory on PYTHONPATH).

    from liftclient import Client
    c = Client("tcp://127.0.0.1:5555")            # "tcp://a:5555,tcp://b:5555" fails over
    c.ping().currency                              # 'USD': every amount is in its minor units
    a = c.assign("upsell-q4", "cust-42", trigger="usage_threshold", stage="growth",
                 channel="in_app")
    a.arm_index, a.arm_name                        # -1 / None when not in the experiment

Enum values are the short lower-case names used by liftctl, the README and report JSON
(`usage_threshold`, `growth`, `in_app`, `conversion`, `running`, ...); an unknown name raises
LiftError (code INVALID_ARGUMENT) naming the field and listing the valid names, before anything
is sent. Server errors raise LiftError with the server's code name, message and field.

Reliability (Lazy Pirate): every request gets a fresh request_id; when no reply comes within
timeout_ms the socket is closed, a new one is connected (to the next endpoint, when several were
given) and the same bytes are sent again, up to `attempts` times; then LiftError UNAVAILABLE
"no reply from ...". Replies to earlier requests are discarded by request_id. This is safe
because every Lift request is idempotent: assignments are sticky, Track deduplicates by
event_id, creating the same experiment twice is OK and experiment state changes are checked
against the current state. A Client is not thread-safe: use one per thread.
"""

import os
import random
import time

import zmq

try:
    import lift_pb2 as pb
except ImportError as e:  # pragma: no cover - a setup error, said plainly
    raise ImportError(
        "liftclient needs lift_pb2, generated from proto/lift.proto: run `make clients` and put "
        "build/gen/python on PYTHONPATH (or: protoc --python_out=DIR proto/lift.proto)") from e

__all__ = ["Client", "LiftError", "Assignment", "TrackResult", "Rejected", "Pong", "Estimate",
           "Record", "UNITS", "names", "to_wire", "from_wire"]

DEFAULT_TIMEOUT_MS = 3000
DEFAULT_ATTEMPTS = 3
REPORT_TIMEOUT_MS = 60000  # a report may take long: wait at least this once liftd answers a ping

# ---- enum names -------------------------------------------------------------------------------

# Wire names are PREFIX_NAME; the short name is NAME in lower case. The value 0 (UNSPECIFIED)
# has no short name, except Reason's REASON_NONE ("none": eligible) and TestFamily's FAMILY_NONE
# ("none": not a test).
_PREFIX = {
    "Trigger": "TRIGGER_", "Stage": "STAGE_", "Channel": "CHANNEL_",
    "ExperimentStatus": "STATUS_", "Metric": "METRIC_", "Action": "ACTION_",
    "Reason": "REASON_", "EventType": "EVENT_", "Dimension": "DIMENSION_",
    "Adjustment": "ADJUSTMENT_", "TestFamily": "FAMILY_", "Unit": "UNIT_",
    "HoldoutLink": "LINK_", "HoldoutGroup": "GROUP_",
}


def _short_names(enum_name):
    d = pb.DESCRIPTOR.enum_types_by_name[enum_name]
    prefix = _PREFIX[enum_name]
    out = {}
    for v in d.values:
        if v.name.endswith("_UNSPECIFIED") or v.number >= 100:  # 0, and the readers' UNKNOWN
            continue
        out[v.name[len(prefix):].lower()] = v.number
    return out


_NAMES = {e: _short_names(e) for e in _PREFIX}
_VALUES = {e: {v: k for k, v in m.items()} for e, m in _NAMES.items()}


def names(enum_name):
    """The accepted short names of a lift enum ("Trigger", "Stage", ...), in proto order."""
    return list(_NAMES[enum_name])


def to_wire(enum_name, field, name):
    """The wire value of short name `name` for `field` (a dotted path used in the error)."""
    m = _NAMES[enum_name]
    if isinstance(name, str) and name in m:
        return m[name]
    raise LiftError("INVALID_ARGUMENT",
                    "%s: %r is not one of %s" % (field, name, ", ".join(m)), field, client=True)


def from_wire(enum_name, value):
    """The short name of a wire value; "unspecified" for 0, "unknown(N)" for a value this client
    does not know (a newer liftd): never mistaken for a known one."""
    if value in _VALUES[enum_name]:
        return _VALUES[enum_name][value]
    return "unspecified" if value == 0 else "unknown(%d)" % value


# ---- errors and results -----------------------------------------------------------------------

_CODES = {v.number: v.name for v in pb.DESCRIPTOR.enum_types_by_name["Code"].values}


class LiftError(Exception):
    """A failed call. code: the lift.Code name ("INVALID_ARGUMENT", "NOT_FOUND", ...,
    "UNKNOWN(n)" for a code this client does not know, "PROTOCOL" for an undecodable reply);
    message: the server's (or the client's) text; field: the offending field's path or None;
    client: True when the client refused the call before sending it."""

    def __init__(self, code, message, field=None, client=False):
        super().__init__("%s: %s" % (code, message))
        self.code = code
        self.message = message
        self.field = field
        self.client = client


class Record:
    """A reply message as attributes: enums as short names, unset optional fields as None,
    repeated fields as lists, nested messages as Records, Estimates as Estimate."""

    def __init__(self, **kw):
        self.__dict__.update(kw)

    def __repr__(self):
        return "%s(%s)" % (type(self).__name__,
                           ", ".join("%s=%r" % kv for kv in self.__dict__.items()))

    def __eq__(self, other):
        return isinstance(other, Record) and self.__dict__ == other.__dict__


# Units of every Estimate in a report (the same names as liftctl's report JSON):
#   minor               minor units of the deployment's currency (Pong.currency, provenance.currency)
#   fraction            0.05 = 5 %
#   fraction_difference a difference of two rates: 0.012 = +1.2 percentage points
#   nps_points          Net Promoter Score points, -100..100
# liftd >= this version sets Estimate.unit on every estimate and the client reads it from there;
# this table is the fallback for an older liftd (the unit each field is documented with).
UNITS = {
    "revenue_diff": "minor", "incremental_total": "minor", "holdout_cost": "minor",
    "net_incremental": "minor", "cace": "minor", "revenue_diff_uncapped": "minor",
    "pre_period_diff": "minor", "revenue_diff_shrunk": "minor",
    "incremental_total_shrunk": "minor", "nps_diff": "nps_points", "relative_lift": "fraction",
    "conversion_rate": "fraction", "conversion_diff": "fraction_difference",
    "churn_diff": "fraction_difference", "ctr_diff": "fraction_difference",
    "nps_before": "nps_points", "nps_after": "nps_points", "nps_change": "nps_points",
    # Report.program
    "revenue_per_customer": "minor", "linked_sum": "minor", "naive_gap": "minor",
}


class Estimate(Record):
    """One estimate: ok, reason, estimate, se, ci_low, ci_high, p_value, p_adjusted, sequential,
    and unit (see UNITS). When ok is False the numbers are None and reason says why."""


def _record(msg, path=""):
    """A protobuf message as a Record (see Record)."""
    out = {}
    for f in msg.DESCRIPTOR.fields:
        if f.label == f.LABEL_REPEATED:
            vals = getattr(msg, f.name)
            if f.type == f.TYPE_MESSAGE:
                out[f.name] = [_record(v, f.name) for v in vals]
            elif f.type == f.TYPE_ENUM:
                out[f.name] = [from_wire(f.enum_type.name, v) for v in vals]
            else:
                out[f.name] = list(vals)
            continue
        if f.containing_oneof is not None and msg.WhichOneof(f.containing_oneof.name) != f.name:
            continue
        if not msg.HasField(f.name):
            out[f.name] = None
            continue
        v = getattr(msg, f.name)
        if f.type == f.TYPE_MESSAGE:
            out[f.name] = _record(v, f.name)
        elif f.type == f.TYPE_ENUM:
            out[f.name] = from_wire(f.enum_type.name, v)
        else:
            out[f.name] = v
    if msg.DESCRIPTOR.name == "Estimate":
        ok = bool(out.get("ok"))
        if not ok:
            for k in ("estimate", "se", "ci_low", "ci_high", "p_value", "p_adjusted"):
                out[k] = None
        out["ok"] = ok
        # The unit the report sets (an unknown one stays "unknown(N)": never guessed), else
        # the field's documented one (an older liftd).
        if out.get("unit") in (None, "unspecified"):
            out["unit"] = UNITS.get(path)
        return Estimate(**out)
    return Record(**out)


def _message(cls, data, path):
    """A protobuf message of class cls from a dict mirroring it (short enum names); unknown keys
    and wrong types raise LiftError naming the field."""
    if not isinstance(data, dict):
        raise LiftError("INVALID_ARGUMENT", "%s: expected an object, got %r" % (path, data), path,
                        client=True)
    msg = cls()
    _fill(msg, data, path)
    return msg


def _fill(msg, data, path):
    fields = msg.DESCRIPTOR.fields_by_name
    for key, val in data.items():
        fp = "%s.%s" % (path, key) if path else key
        f = fields.get(key)
        if f is None:
            raise LiftError("INVALID_ARGUMENT", "%s: unknown field (%s has %s)" % (
                fp, msg.DESCRIPTOR.name, ", ".join(fields)), fp, client=True)
        if val is None:
            continue  # not given: unset (the server's default)
        try:
            if f.label == f.LABEL_REPEATED:
                if not isinstance(val, (list, tuple)):
                    raise TypeError("expected a list")
                target = getattr(msg, key)
                for i, v in enumerate(val):
                    ip = "%s[%d]" % (fp, i)
                    if f.type == f.TYPE_MESSAGE:
                        _fill(target.add(), v, ip)
                    elif f.type == f.TYPE_ENUM:
                        target.append(to_wire(f.enum_type.name, ip, v))
                    else:
                        target.append(v)
            elif f.type == f.TYPE_MESSAGE:
                if not isinstance(val, dict):
                    raise TypeError("expected an object")
                _fill(getattr(msg, key), val, fp)
                getattr(msg, key).SetInParent()
            elif f.type == f.TYPE_ENUM:
                setattr(msg, key, to_wire(f.enum_type.name, fp, val))
            else:
                if f.type == f.TYPE_BOOL and not isinstance(val, bool):
                    raise TypeError("expected true or false")
                setattr(msg, key, val)
        except (TypeError, ValueError) as e:
            if isinstance(e, LiftError):
                raise
            raise LiftError("INVALID_ARGUMENT", "%s: %r: %s" % (fp, val, e), fp,
                            client=True) from None


class Pong(Record):
    """Ping's answer: version, now_ms (the server's clock, epoch ms), currency (ISO 4217: every
    amount_minor is in its minor units), hash_version ("growthbook-v2") and limits (a Record of
    lift.Limits: max_request_bytes, batch_max, in_flight_per_connection, ...; None from an older
    liftd)."""


class Assignment(Record):
    """customer_id, in_experiment, eligible, reason (short name: "none" when eligible;
    "unknown(N)" — not eligible — for a reason this client does not know), arm_index
    (-1 when not in the experiment), arm_name, arm_payload (None when unset), first_exposure,
    error (None, or a LiftError for a rejected customer id)."""


class Rejected(Record):
    """index (position in the batch), event_id, field, reason."""


class TrackResult(Record):
    """accepted (newly stored), duplicates (stored before: a success), conflicts (event_id stored
    with other content: not stored), rejected (list of Rejected: every event not stored)."""


def _unknown_enum(msg, number):
    """The value of enum field `number` that this protobuf dropped as unknown (a closed proto2
    enum keeps a value it has no name for among the unknown fields), or None."""
    try:
        from google.protobuf.unknown_fields import UnknownFieldSet
        for f in UnknownFieldSet(msg):
            if f.field_number == number and isinstance(f.data, int):
                return f.data
    except Exception:  # pragma: no cover - older protobuf: the number stays unknown
        pass
    return None


def _code_name(status):
    """The status's code name: UNKNOWN(N) for a code this client does not know (a newer liftd),
    "UNKNOWN" when none was sent. Never OK unless OK was sent."""
    if not status.HasField("code"):
        n = _unknown_enum(status, 1)
        return "UNKNOWN" if n is None else "UNKNOWN(%d)" % n
    if status.code == pb.UNKNOWN:
        return "UNKNOWN"
    return _CODES.get(status.code, "UNKNOWN(%d)" % status.code)


def _reason(a):
    """(reason, eligible): a reason this client does not know means "not eligible: unknown
    reason N", never eligible (proto: Reason)."""
    if a.HasField("reason") and a.reason in _VALUES["Reason"]:
        return _VALUES["Reason"][a.reason], a.eligible
    n = a.reason if a.HasField("reason") and a.reason != pb.REASON_UNKNOWN else \
        _unknown_enum(a, 4)
    return ("unknown(%d)" % n if n is not None else "unknown"), False


def _assignment(a):
    err = None
    if a.HasField("error"):
        err = LiftError(_code_name(a.error), a.error.message, a.error.field or None)
    reason, eligible = _reason(a)
    return Assignment(
        customer_id=a.customer_id, in_experiment=a.in_experiment, eligible=eligible,
        reason=reason,
        arm_index=a.arm_index if a.HasField("arm_index") else -1,
        arm_name=a.arm_name if a.HasField("arm_name") else None,
        arm_payload=a.arm_payload if a.HasField("arm_payload") else None,
        first_exposure=a.first_exposure, error=err)


# ---- the client -------------------------------------------------------------------------------

class Client:
    """A connection to liftd (one DEALER socket). endpoints: "tcp://host:port", "ipc:///path",
    or several comma-separated (a timed-out attempt moves to the next). timeout_ms: per-attempt
    wait for a reply; attempts: sends before giving up (1 = no retry)."""

    def __init__(self, endpoints, timeout_ms=DEFAULT_TIMEOUT_MS, attempts=DEFAULT_ATTEMPTS,
                 context=None):
        if isinstance(endpoints, str):
            endpoints = endpoints.split(",")
        self.endpoints = [e.strip() for e in endpoints if e.strip()]
        if not self.endpoints:
            raise LiftError("INVALID_ARGUMENT", "endpoints: none given", "endpoints", client=True)
        if not isinstance(timeout_ms, int) or timeout_ms <= 0:
            raise LiftError("INVALID_ARGUMENT", "timeout_ms: %r is not a positive integer" %
                            (timeout_ms,), "timeout_ms", client=True)
        if not isinstance(attempts, int) or attempts < 1:
            raise LiftError("INVALID_ARGUMENT", "attempts: %r is not a positive integer" %
                            (attempts,), "attempts", client=True)
        self.timeout_ms = timeout_ms
        self.attempts = attempts
        self._ctx = context or zmq.Context.instance()
        self._current = 0
        self._sock = None
        self._next_id = random.getrandbits(48) + 1
        self.reconnects = 0  # sockets replaced after a timeout

    @property
    def endpoint(self):
        """The endpoint the client sends to now."""
        return self.endpoints[self._current]

    def close(self):
        if self._sock is not None:
            self._sock.close(linger=0)
            self._sock = None

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def _socket(self):
        if self._sock is None:
            s = self._ctx.socket(zmq.DEALER)
            s.setsockopt(zmq.LINGER, 0)
            s.setsockopt(zmq.IPV6, 1)
            s.connect(self.endpoint)
            self._sock = s
        return self._sock

    def _reopen(self):
        """Lazy Pirate: drop the socket (and whatever it still holds), take the next endpoint."""
        self.close()
        self.reconnects += 1
        self._current = (self._current + 1) % len(self.endpoints)

    def _new_id(self):
        rid = self._next_id
        self._next_id += 1
        return rid

    @staticmethod
    def _decode(frame):
        reply = pb.Reply()
        try:
            reply.ParseFromString(frame)
        except Exception as e:  # DecodeError, or a missing required field
            raise LiftError("PROTOCOL", "undecodable reply (%d bytes): %s" % (len(frame), e))
        return reply

    @staticmethod
    def _check(reply):
        """Raises LiftError unless the reply's status is OK. A status without a code this client
        knows (a newer liftd) is an error, never read as OK."""
        if not reply.HasField("status"):
            raise LiftError("UNKNOWN", "reply without a status")
        st = reply.status
        if not st.HasField("code") or st.code != pb.OK:
            raise LiftError(_code_name(st), st.message or "(no message)", st.field or None)
        return reply

    def call(self, request, timeout_ms=None):
        """Sends a lift_pb2.Request (request_id replaced by a fresh one) and returns the
        lift_pb2.Reply with the same request_id, whatever its status; retries as described in
        the module. Raises LiftError UNAVAILABLE when no attempt got a reply."""
        timeout = timeout_ms or self.timeout_ms
        rid = self._new_id()
        request.request_id = rid
        data = request.SerializeToString()
        tried = []
        for _ in range(self.attempts):
            sock = self._socket()
            tried.append(self.endpoint)
            sock.send(data)
            deadline = time.monotonic() + timeout / 1000.0
            while True:
                left = int((deadline - time.monotonic()) * 1000)
                if left <= 0 or not sock.poll(left, zmq.POLLIN):
                    break
                frames = sock.recv_multipart()
                reply = self._decode(frames[-1])
                if reply.request_id != rid:
                    continue  # a late answer to an earlier request
                return reply
            self._reopen()
        raise LiftError("UNAVAILABLE", "no reply from %s after %d attempts of %d ms" % (
            ", ".join(dict.fromkeys(tried)), self.attempts, timeout))

    def _ok(self, request, timeout_ms=None):
        return self._check(self.call(request, timeout_ms))

    # ---- calls ------------------------------------------------------------------------------

    def ping(self):
        """Pong(version, now_ms, currency)."""
        r = self._ok(pb.Request(ping=pb.Ping()))
        return Pong(version=r.pong.version, now_ms=r.pong.now_ms,
                    currency=r.pong.currency if r.pong.HasField("currency") else None,
                    hash_version=r.pong.hash_version if r.pong.HasField("hash_version") else None,
                    limits=_record(r.pong.limits) if r.pong.HasField("limits") else None)

    @staticmethod
    def _context(field, trigger, stage, channel, trigger_time_ms, open_support_ticket,
                 billing_dispute):
        ctx = pb.Context()
        if trigger is not None:
            ctx.trigger = to_wire("Trigger", field + ".trigger", trigger)
        if stage is not None:
            ctx.stage = to_wire("Stage", field + ".stage", stage)
        if channel is not None:
            ctx.channel = to_wire("Channel", field + ".channel", channel)
        if trigger_time_ms is not None:
            ctx.trigger_time_ms = trigger_time_ms
        if open_support_ticket:
            ctx.open_support_ticket = True
        if billing_dispute:
            ctx.billing_dispute = True
        return ctx

    def assign(self, experiment_key, customer_id, trigger=None, stage=None, channel=None,
               trigger_time_ms=None, open_support_ticket=False, billing_dispute=False):
        """One customer's decision (Assign): an Assignment. trigger, stage and channel are
        required by liftd (short names); trigger_time_ms defaults to the decision time."""
        ctx = self._context("assign.context", trigger, stage, channel, trigger_time_ms,
                            open_support_ticket, billing_dispute)
        req = pb.Request(assign=pb.Assign(experiment_key=experiment_key,
                                          customer_id=customer_id, context=ctx))
        return _assignment(self._ok(req).assign.assignments[0])

    def assign_batch(self, experiment_key, customer_ids, trigger=None, stage=None, channel=None,
                     trigger_time_ms=None, open_support_ticket=False, billing_dispute=False):
        """1..10000 customers in one context (AssignBatch): Assignments in input order."""
        ctx = self._context("assign_batch.context", trigger, stage, channel, trigger_time_ms,
                            open_support_ticket, billing_dispute)
        req = pb.Request(assign_batch=pb.AssignBatch(
            experiment_key=experiment_key, customer_ids=list(customer_ids), context=ctx))
        return [_assignment(a) for a in self._ok(req).assign.assignments]

    def assign_pipelined(self, experiment_key, customer_ids, window=64, **context):
        """One Assign request per customer, up to `window` in flight on the socket (replies come
        back in any order and are matched by request_id): Assignments in input order. A stall of
        timeout_ms resends what is outstanding on a fresh socket (assignment is idempotent), up
        to `attempts` times in a row."""
        ctx = self._context("assign.context", context.get("trigger"), context.get("stage"),
                            context.get("channel"), context.get("trigger_time_ms"),
                            context.get("open_support_ticket"), context.get("billing_dispute"))
        ids = list(customer_ids)
        out = [None] * len(ids)
        packed = {}    # request_id -> (index, bytes), outstanding
        nxt = 0
        stalls = 0
        while nxt < len(ids) or packed:
            sock = self._socket()
            while nxt < len(ids) and len(packed) < window:
                rid = self._new_id()
                req = pb.Request(request_id=rid, assign=pb.Assign(
                    experiment_key=experiment_key, customer_id=ids[nxt], context=ctx))
                data = req.SerializeToString()
                packed[rid] = (nxt, data)
                sock.send(data)
                nxt += 1
            if sock.poll(self.timeout_ms, zmq.POLLIN):
                stalls = 0
                while True:
                    try:
                        frames = sock.recv_multipart(zmq.NOBLOCK)
                    except zmq.Again:
                        break
                    reply = self._decode(frames[-1])
                    slot = packed.pop(reply.request_id, None)
                    if slot is None:
                        continue
                    out[slot[0]] = _assignment(self._check(reply).assign.assignments[0])
                continue
            stalls += 1
            if stalls >= self.attempts:
                raise LiftError("UNAVAILABLE", "no reply from %s for %d ms, %d times in a row "
                                "(%d requests outstanding)" % (self.endpoint, self.timeout_ms,
                                                               stalls, len(packed)))
            self._reopen()
            sock = self._socket()
            for rid, (_, data) in packed.items():
                sock.send(data)
        return out

    def track(self, events):
        """Sends 1..10000 events (dicts mirroring lift.Event; `type` a short name: impression,
        click, conversion, refund, churn, nps; amounts in integer minor units) as one Track, and
        returns the TrackResult once liftd has committed them. RESOURCE_EXHAUSTED and
        UNAVAILABLE replies are retried with a short back-off like timeouts: safe, liftd
        deduplicates by event_id."""
        t = pb.Track()
        for i, e in enumerate(events):
            _fill(t.events.add(), e, "track.events[%d]" % i)
        req = pb.Request(track=t)
        for attempt in range(self.attempts):
            try:
                r = self._ok(req).track
                break
            except LiftError as err:
                if err.code not in ("RESOURCE_EXHAUSTED", "UNAVAILABLE") or \
                        attempt + 1 == self.attempts:
                    raise
                time.sleep(0.05 * (attempt + 1))
        return TrackResult(accepted=r.accepted, duplicates=r.duplicates, conflicts=r.conflicts,
                           rejected=[Rejected(index=x.index, event_id=x.event_id,
                                              field=x.field or None, reason=x.reason)
                                     for x in r.rejected])

    def create_experiment(self, definition):
        """Registers an experiment (status draft) from a dict mirroring lift.Experiment, enums by
        short name (as examples/experiment.json); fields left out are unset, i.e. the server's
        default. Returns the experiment as liftd holds it (a Record). The same definition again
        is OK; a different one under the key raises ALREADY_EXISTS."""
        x = _message(pb.Experiment, definition, "create_experiment.experiment")
        req = pb.Request(create_experiment=pb.CreateExperiment(experiment=x))
        return _record(self._ok(req).experiment)

    def get_experiment(self, key):
        return _record(self._ok(pb.Request(get_experiment=pb.GetExperiment(key=key))).experiment)

    def list_experiments(self, status=None):
        """Every experiment, or those with status draft, running, paused or stopped."""
        q = pb.ListExperiments()
        if status is not None:
            q.status = to_wire("ExperimentStatus", "list_experiments.status", status)
        r = self._ok(pb.Request(list_experiments=q))
        return [_record(x) for x in r.experiments.experiments]

    def _change(self, key, action, coverage=None):
        c = pb.ChangeExperiment(key=key, action=to_wire("Action", "change_experiment.action",
                                                         action))
        if coverage is not None:
            c.coverage = coverage
        return _record(self._ok(pb.Request(change_experiment=c)).experiment)

    def start(self, key):
        return self._change(key, "start")

    def pause(self, key):
        return self._change(key, "pause")

    def resume(self, key):
        return self._change(key, "resume")

    def stop(self, key):
        return self._change(key, "stop")

    def ramp(self, key, coverage):
        return self._change(key, "ramp", coverage)

    def report(self, experiment_key, timeout_ms=None, **options):
        """The incrementality report (a Record mirroring lift.Report; Estimates carry `unit`, see
        UNITS; money in minor units of report.provenance.currency, rates as fractions).
        options: the ReportRequest fields (from_ms, to_ms, segment_by=["trigger", ...], alpha,
        sequential, cuped, cuped_lookback_days, revenue_cap_percentile, retention_days,
        cost_per_attempt_minor, n_star); those not given are unset (the server's default).
        Each attempt pings first with the client's own timeout, then waits at least 60 s."""
        return self._report(dict(options, experiment_key=experiment_key), timeout_ms)

    def program_report(self, holdout_key, timeout_ms=None, **options):
        """The program report of a holdout (ReportRequest.holdout_key): a Record mirroring
        lift.Report with `program` set (arm 0 = held out, arm 1 = the measurement slice).
        options as report()."""
        return self._report(dict(options, holdout_key=holdout_key), timeout_ms)

    def is_held_out(self, holdout_key, customer_ids):
        """IsHeldOut: for each id a dict {customer_id, held_out, group, error}; held_out is True
        when the customer is in the held-out group of a running holdout (send no upsell);
        group is "none", "held_out", "measured" or "excluded"; error a message or None."""
        req = pb.Request(is_held_out=pb.IsHeldOut(holdout_key=holdout_key,
                                                  customer_ids=list(customer_ids)))
        out = []
        for c in self._ok(req).held_out.customers:
            out.append({"customer_id": c.customer_id, "held_out": c.held_out,
                        "group": from_wire("HoldoutGroup", c.group),
                        "error": c.error.message if c.HasField("error") else None})
        return out

    def _report(self, fields, timeout_ms):
        q = _message(pb.ReportRequest, fields, "report")
        wait = max(timeout_ms or 0, REPORT_TIMEOUT_MS, self.timeout_ms)
        last = None
        for _ in range(self.attempts):
            self.ping()
            saved = self.attempts
            self.attempts = 1
            try:
                r = self._ok(pb.Request(report=q), wait)
                return _record(r.report)
            except LiftError as e:
                if e.code != "UNAVAILABLE" or e.client:
                    raise
                last = e
            finally:
                self.attempts = saved
        raise LiftError("UNAVAILABLE", "no report from %s: %s" % (self.endpoint, last.message))
