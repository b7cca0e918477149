"""The Python client against a real liftd (started by the clients suite, tests/check_clients.c).
Environment: LIFT_TEST_ENDPOINT (the liftd), LIFTCTL (the liftctl program); run from anywhere:
    PYTHONPATH=build/gen/python:tools/clients/python /usr/bin/python3 -m unittest discover \
        -s tools/clients/python/tests -v
"""
import json
import os
import re
import subprocess
import threading
import time
import unittest

import zmq

import lift_pb2 as pb
import liftclient
from liftclient import Client, LiftError, names

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", "..", "..", ".."))
ENDPOINT = os.environ.get("LIFT_TEST_ENDPOINT", "")
LIFTCTL = os.environ.get("LIFTCTL", os.path.join(ROOT, "build", "liftctl"))
CTX = dict(trigger="usage_threshold", stage="growth", channel="in_app")
RUN = "py%d" % os.getpid()  # keys of this run: the store may be shared with the Node tests


def js_array(src, name):
    """The array literal `const name = [...]` of tests/growthbook_vectors.js, as Python data."""
    m = re.search(r"const %s = (\[.*?\n\]);" % name, src, re.S)
    text = re.sub(r"/\*.*?\*/", "", m.group(1), flags=re.S)
    text = re.sub(r"([{,]\s*)([A-Za-z_]+)\s*:", r'\1"\2":', text)
    text = re.sub(r",(\s*[\]}])", r"\1", text)
    return json.loads(text)


def liftctl(*args, stdin=None):
    p = subprocess.run([LIFTCTL, "--endpoint", ENDPOINT] + list(args), input=stdin,
                       capture_output=True, text=True, timeout=120)
    if p.returncode != 0:
        raise AssertionError("liftctl %s: exit %d: %s" % (" ".join(args), p.returncode, p.stderr))
    return p.stdout


def experiment(key, weights, **more):
    d = {"key": key, "arms": [{"name": "holdout" if i == 0 else "arm-%d" % i, "weight": w}
                              for i, w in enumerate(weights)]}
    d.update(more)
    return d


class LiftTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        if not ENDPOINT:
            raise unittest.SkipTest("LIFT_TEST_ENDPOINT is not set")
        cls.c = Client(ENDPOINT, timeout_ms=5000, attempts=3)

    @classmethod
    def tearDownClass(cls):
        cls.c.close()

    def test_ping_currency_and_clock(self):
        p = self.c.ping()
        self.assertEqual(p.currency, "USD")
        self.assertRegex(p.version, r"^\d+\.\d+\.\d+$")
        self.assertLess(abs(p.now_ms - time.time() * 1000), 60000)

    def test_growthbook_vectors_equal_liftctl_bucket(self):
        with open(os.path.join(ROOT, "tests", "growthbook_vectors.js"), encoding="utf-8") as f:
            src = f.read()
        settings, ids = js_array(src, "settings"), js_array(src, "ids")
        self.assertEqual(len(settings), 10)
        self.assertIn("顧客-42", ids)
        compared = 0
        for i, s in enumerate(settings):
            key = "%s-gb-%d" % (RUN, i)
            d = experiment(key, s["weights"], coverage=s["coverage"], seed=s["seed"])
            args = ["bucket", "--seed", s["seed"], "--weights", ",".join(map(repr, s["weights"])),
                    "--coverage", repr(s["coverage"])]
            if "namespace" in s:
                ns, lo, hi = s["namespace"]
                d["namespace"] = {"id": ns, "lo": lo, "hi": hi}
                args += ["--namespace", "%s:%r:%r" % (ns, lo, hi)]
            self.c.create_experiment(d)
            self.c.start(key)
            # Half the ids in one AssignBatch, the rest pipelined one by one.
            got = self.c.assign_batch(key, ids[:12], **CTX)
            got += self.c.assign_pipelined(key, ids[12:], window=8, **CTX)
            want = {}
            for line in liftctl(*args, stdin="\n".join(ids) + "\n").splitlines():
                cid, arm = line.rsplit("\t", 1)
                want[cid] = int(arm)
            self.assertEqual(len(want), len(ids))
            for a, cid in zip(got, ids):
                self.assertEqual(a.customer_id, cid)
                self.assertEqual(a.arm_index, want[cid], "setting %d, id %r" % (i, cid))
                self.assertEqual(a.in_experiment, want[cid] >= 0)
                if want[cid] < 0:
                    self.assertIn(a.reason, ("outside_coverage", "outside_namespace"))
                compared += 1
        self.assertEqual(compared, 10 * len(ids))

    def test_enum_names_short_form_and_refusals(self):
        self.assertEqual(names("Trigger")[0], "usage_threshold")
        self.assertIn("push_sms", names("Channel"))
        with self.assertRaises(LiftError) as cm:
            self.c.assign("whatever", "cust-1", trigger="usage", stage="growth", channel="in_app")
        e = cm.exception
        self.assertTrue(e.client)
        self.assertEqual(e.code, "INVALID_ARGUMENT")
        self.assertEqual(e.field, "assign.context.trigger")
        self.assertIn("usage_threshold, feature_exploration", e.message)
        with self.assertRaises(LiftError) as cm:
            self.c.create_experiment(experiment("%s-enum" % RUN, [0.5, 0.5],
                                                eligibility={"channels": ["in_app", "IN_APP"]}))
        self.assertEqual(cm.exception.field,
                         "create_experiment.experiment.eligibility.channels[1]")
        self.assertIn("in_app, email, csm, chat, push_sms", cm.exception.message)
        with self.assertRaises(LiftError) as cm:
            self.c.create_experiment({"key": "x", "armz": []})
        self.assertEqual(cm.exception.field, "create_experiment.experiment.armz")

    def test_server_rejections_carry_field_names(self):
        with self.assertRaises(LiftError) as cm:
            self.c.create_experiment(experiment("%s-bad" % RUN, [0.5, 0.6]))
        self.assertEqual(cm.exception.code, "INVALID_ARGUMENT")
        self.assertFalse(cm.exception.client)
        self.assertEqual(cm.exception.field, "create_experiment.experiment.arms")
        with self.assertRaises(LiftError) as cm:
            self.c.create_experiment(experiment("%s-bad" % RUN, [0.5, 0.5], coverage=0))
        self.assertEqual(cm.exception.field, "create_experiment.experiment.coverage")
        self.assertIn("leave it unset for 1", cm.exception.message)  # a zero, refused by value
        with self.assertRaises(LiftError) as cm:
            self.c.get_experiment("%s-missing" % RUN)
        self.assertEqual(cm.exception.code, "NOT_FOUND")
        with self.assertRaises(LiftError) as cm:
            self.c.assign("%s-missing" % RUN, "c", **CTX)
        self.assertEqual((cm.exception.code, cm.exception.field), ("NOT_FOUND", "assign.experiment_key"))
        key = "%s-rej" % RUN
        self.c.create_experiment(experiment(key, [0.5, 0.5]))
        self.c.start(key)
        got = self.c.assign_batch(key, ["ok-1", "", "x" * 129], **CTX)
        self.assertIsNone(got[0].error)
        for i, a in enumerate(got[1:], 1):
            self.assertEqual(a.reason, "invalid")
            self.assertEqual((a.error.code, a.error.field),
                             ("INVALID_ARGUMENT", "assign_batch.customer_ids[%d]" % i))
        now = self.c.ping().now_ms
        r = self.c.track([
            {"event_id": "%s-r1" % RUN, "customer_id": "ok-1", "type": "nps", "timestamp_ms": now,
             "nps_score": 11},
            {"event_id": "%s-r2" % RUN, "customer_id": "ok-1", "type": "conversion",
             "timestamp_ms": now, "amount_minor": 4900, "currency": "EUR"},
            {"event_id": "%s-r3" % RUN, "customer_id": "ok-1", "type": "churn",
             "timestamp_ms": now},
        ])
        self.assertEqual((r.accepted, r.duplicates), (1, 0))
        self.assertEqual([(x.index, x.field) for x in r.rejected],
                         [(0, "track.events[0].nps_score"), (1, "track.events[1].currency")])
        self.assertIn("11", r.rejected[0].reason)

    def test_unknown_enum_values_are_errors_never_ok(self):
        # What a newer liftd may send: a Reason and a Code this client has no name for.
        raw = pb.Assignment(customer_id="c", in_experiment=False, eligible=True,
                            arm_index=-1).SerializeToString() + bytes([0x20, 57])
        a = liftclient._assignment(pb.Assignment.FromString(raw))
        self.assertEqual((a.reason, a.eligible, a.arm_index), ("unknown(57)", False, -1))
        rep = pb.Reply.FromString(bytes([0x08, 0x01, 0x12, 0x02, 0x08, 0x2a]))  # code 42
        with self.assertRaises(LiftError) as cm:
            Client._check(rep)
        self.assertEqual(cm.exception.code, "UNKNOWN(42)")
        with self.assertRaises(LiftError) as cm:  # a status without a code
            Client._check(pb.Reply.FromString(bytes([0x08, 0x01, 0x12, 0x00])))
        self.assertEqual(cm.exception.code, "UNKNOWN")
        # Pong: hash version and limits; an impression for another arm is refused by name.
        p = self.c.ping()
        self.assertEqual(p.hash_version, "growthbook-v2")
        self.assertEqual(p.limits.in_flight_per_connection, 1024)
        key = "%s-unk" % RUN
        self.c.create_experiment(experiment(key, [0.5, 0.5]))
        self.c.start(key)
        arm = self.c.assign(key, "u-1", **CTX).arm_index
        r = self.c.track([{"event_id": "%s-u1" % RUN, "customer_id": "u-1", "type": "impression",
                           "timestamp_ms": p.now_ms, "experiment_key": key, "arm": 1 - arm}])
        self.assertEqual(r.rejected[0].field, "track.events[0].arm")
        self.assertIn("stored exposure has arm %d" % arm, r.rejected[0].reason)

    def test_resends_are_duplicates(self):
        now = self.c.ping().now_ms
        events = [{"event_id": "%s-d%d" % (RUN, i), "customer_id": "dup-%d" % i,
                   "type": "conversion", "timestamp_ms": now - i, "amount_minor": 100 + i,
                   "plan_from": "team", "plan_to": "pro"} for i in range(50)]
        first = self.c.track(events)
        self.assertEqual((first.accepted, first.duplicates, first.rejected), (50, 0, []))
        again = self.c.track(events)
        self.assertEqual((again.accepted, again.duplicates, again.conflicts), (0, 50, 0))
        changed = dict(events[7], amount_minor=999)
        c = self.c.track([changed])
        self.assertEqual((c.accepted, c.duplicates, c.conflicts), (0, 0, 1))
        self.assertEqual(c.rejected[0].field, "track.events[0].event_id")
        # A resent AssignBatch is the same decision, not a new exposure.
        key = "%s-sticky" % RUN
        self.c.create_experiment(experiment(key, [0.5, 0.5]))
        self.c.start(key)
        a1 = self.c.assign_batch(key, ["s-%d" % i for i in range(20)], **CTX)
        a2 = self.c.assign_batch(key, ["s-%d" % i for i in range(20)], **CTX)
        self.assertTrue(all(a.first_exposure for a in a1))
        self.assertFalse(any(a.first_exposure for a in a2))
        self.assertEqual([a.arm_index for a in a1], [a.arm_index for a in a2])
        self.assertEqual(self.c.get_experiment(key).exposures, 20)

    def test_experiment_calls(self):
        key = "%s-life" % RUN
        d = experiment(key, [0.2, 0.8], name="Life", coverage=0.5,
                       eligibility={"triggers": ["usage_threshold"], "stages": ["growth"]},
                       analysis={"primary_metric": "conversion", "alpha": 0.1})
        x = self.c.create_experiment(d)
        self.assertEqual((x.status, x.coverage), ("draft", 0.5))
        self.assertEqual(x.eligibility.triggers, ["usage_threshold"])
        self.assertEqual(x.analysis.primary_metric, "conversion")
        self.assertEqual(self.c.create_experiment(d).checksum, x.checksum)  # idempotent
        with self.assertRaises(LiftError) as cm:
            self.c.create_experiment(dict(d, name="Other"))
        self.assertEqual(cm.exception.code, "ALREADY_EXISTS")
        self.assertIn(key, [e.key for e in self.c.list_experiments(status="draft")])
        self.assertEqual(self.c.start(key).status, "running")
        self.assertEqual(self.c.start(key).status, "running")  # a resend: same state
        self.assertEqual(self.c.pause(key).status, "paused")
        a = self.c.assign(key, "life-1", **CTX)
        self.assertEqual((a.in_experiment, a.reason), (False, "not_running"))
        self.assertEqual(self.c.resume(key).status, "running")
        self.assertEqual(self.c.ramp(key, 0.75).coverage, 0.75)
        with self.assertRaises(LiftError) as cm:
            self.c.ramp(key, 0.25)
        self.assertEqual(cm.exception.field, "change_experiment.coverage")
        a = self.c.assign(key, "life-2", trigger="team_growth", stage="growth", channel="email")
        self.assertEqual((a.eligible, a.reason), (False, "trigger_not_allowed"))
        self.assertEqual(self.c.stop(key).status, "stopped")
        self.assertEqual(self.c.get_experiment(key).status, "stopped")
        self.assertNotIn(key, [e.key for e in self.c.list_experiments(status="running")])

    def test_report_headline_equals_liftctl_json(self):
        key = "%s-report" % RUN
        self.c.create_experiment(experiment(key, [0.5, 0.5]))
        self.c.start(key)
        ids = ["rep-%03d" % i for i in range(300)]
        arms = {a.customer_id: a.arm_index for a in self.c.assign_batch(key, ids, **CTX)}
        now = self.c.ping().now_ms
        events = []
        for i, cid in enumerate(ids):
            if i % 3 == 0 or (arms[cid] == 1 and i % 3 == 1):
                events.append({"event_id": "%s-c%d" % (key, i), "customer_id": cid,
                               "type": "conversion", "timestamp_ms": now + 1000,
                               "amount_minor": 1000 + 37 * (i % 11)})
            if arms[cid] == 1:
                events.append({"event_id": "%s-i%d" % (key, i), "customer_id": cid,
                               "type": "impression", "timestamp_ms": now + 500,
                               "experiment_key": key, "arm": 1})
        r = self.c.track(events)
        self.assertEqual((r.accepted, r.rejected), (len(events), []))
        frm, to = now - 3600000, now + 3600000
        rep = self.c.report(key, from_ms=frm, to_ms=to, segment_by=["channel"])
        js = json.loads(liftctl("report", key, "--from", str(frm), "--to", str(to),
                                "--segment-by", "channel", "--format", "json"))
        self.assertEqual(rep.provenance.currency, js["currency"])
        self.assertEqual(rep.provenance.to_ms, to)
        self.assertEqual([a.exposed for a in rep.arms], [a["exposed"] for a in js["arms"]])
        self.assertEqual(sum(a.exposed for a in rep.arms), 300)
        self.assertEqual([a.revenue_minor for a in rep.arms],
                         [a["revenue_minor"] for a in js["arms"]])
        self.assertEqual(len(rep.comparisons), 1)
        c, jc = rep.comparisons[0], js["comparisons"][0]
        for name in ("revenue_diff", "relative_lift", "incremental_total", "net_incremental",
                     "conversion_diff"):
            e, je = getattr(c, name), jc[name]
            self.assertTrue(e.ok, "%s: %s" % (name, e.reason))
            self.assertEqual(e.unit, je["unit"])
            for f in ("estimate", "ci_low", "ci_high", "p_value"):
                self.assertEqual(getattr(e, f), je[f], "%s.%s" % (name, f))
        self.assertGreater(c.incremental_total.estimate, 0)
        self.assertEqual(c.revenue_diff.unit, "minor")
        self.assertEqual(c.relative_lift.unit, "fraction")
        self.assertEqual(rep.segments[0].dimension, "channel")
        self.assertEqual(rep.segments[0].level, js["segments"][0]["level"])

    def test_program_holdout(self):
        hk, ek = "%s-prog" % RUN, "%s-prog-exp" % RUN
        self.c.create_experiment(experiment(ek, [0.5, 0.5]))
        liftctl("holdout", "create", hk, "--percent", "20", "--experiments", ek,
                "--exclude-prefix", "staff-")
        liftctl("holdout", "start", hk)
        self.c.start(ek)
        ids = ["hp-%03d" % i for i in range(200)] + ["staff-1"]
        got = self.c.is_held_out(hk, ids)
        want = {}
        for line in liftctl("holdout", "check", hk, *ids).splitlines():
            cid, held, group = line.split("\t")
            want[cid] = (held == "held_out", group)
        self.assertEqual({g["customer_id"]: (g["held_out"], g["group"]) for g in got}, want)
        self.assertEqual(want["staff-1"], (False, "excluded"))
        held = {g["customer_id"] for g in got if g["held_out"]}
        self.assertTrue(held)
        for a in self.c.assign_batch(ek, ids, **CTX):
            self.assertEqual(a.reason == "program_holdout", a.customer_id in held)
            self.assertEqual(a.in_experiment, a.customer_id not in held)
        rep = self.c.program_report(hk)
        self.assertEqual(rep.program.held_out, len(held))
        self.assertEqual(rep.program.holdout.key, hk)
        self.assertEqual(rep.program.holdout.link, "explicit")
        self.assertEqual(rep.program.incremental_total.unit, "minor")
        self.assertEqual([a.arm_name for a in rep.arms], ["held_out", "measured"])
        with self.assertRaises(LiftError) as e:
            self.c.is_held_out("%s-none" % RUN, ["x"])
        self.assertEqual(e.exception.code, "NOT_FOUND")

    def test_failover_and_no_reply(self):
        dead = "ipc:///tmp/lift-no-such-%d.sock" % os.getpid()
        c = Client(dead + "," + ENDPOINT, timeout_ms=300, attempts=2)
        self.assertEqual(c.ping().currency, "USD")
        self.assertEqual((c.endpoint, c.reconnects), (ENDPOINT, 1))
        c.close()
        c = Client(dead, timeout_ms=100, attempts=2)
        t0 = time.monotonic()
        with self.assertRaises(LiftError) as cm:
            c.ping()
        self.assertEqual(cm.exception.code, "UNAVAILABLE")
        self.assertIn("no reply from %s after 2 attempts of 100 ms" % dead, cm.exception.message)
        self.assertLess(time.monotonic() - t0, 2.0)
        c.close()

    def test_unknown_status_code_is_not_ok(self):
        # A stand-in server that answers with a status code this client does not know, as a
        # newer liftd might, and with a late reply to an earlier request first.
        ctx = zmq.Context.instance()
        router = ctx.socket(zmq.ROUTER)
        port = router.bind_to_random_port("tcp://127.0.0.1")

        def serve():
            rid, frame = router.recv_multipart()
            req = pb.Request.FromString(frame)
            stale = pb.Reply(request_id=req.request_id - 1)
            stale.status.code = pb.OK
            stale.pong.version = "stale"
            router.send_multipart([rid, stale.SerializeToString()])
            # request_id, then status {code: 42, message: "new"} by hand: 42 is not in lift.Code.
            body = pb.Reply(request_id=req.request_id).SerializePartialToString()
            status = b"\x08\x2a\x12\x03new"
            router.send_multipart([rid, body + b"\x12" + bytes([len(status)]) + status])

        t = threading.Thread(target=serve)
        t.start()
        c = Client("tcp://127.0.0.1:%d" % port, timeout_ms=2000, attempts=1)
        with self.assertRaises(LiftError) as cm:
            c.ping()
        t.join()
        c.close()
        router.close(linger=0)
        self.assertEqual(cm.exception.code, "UNKNOWN(42)")  # the number, never OK
        self.assertIn("new", cm.exception.message)


if __name__ == "__main__":
    unittest.main()
