/* gen_corpus: writes the fuzzer's seed corpus, one packed lift.Request per file, into the
 * directory given as argv[1] (tests/fuzz/corpus). Valid requests of every type, aimed at the
 * experiment "exp" that fuzz_request.c creates. Run by `make fuzz-corpus`; the output is
 * committed so `make fuzz` does not depend on it. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lift.pb-c.h"

int main(int argc, char **argv);

static const char *dir;

static void emit(const char *name, Lift__Request *req)
{
    static uint64_t id = 1;
    req->has_request_id = 1;
    req->request_id = id++;
    size_t n = lift__request__get_packed_size(req);
    uint8_t *buf = malloc(n ? n : 1);
    if (!buf)
        exit(1);
    lift__request__pack(req, buf);
    char path[512];
    snprintf(path, sizeof path, "%s/%s.bin", dir, name);
    FILE *f = fopen(path, "wb");
    if (!f || fwrite(buf, 1, n, f) != n || fclose(f) != 0) {
        perror(path);
        exit(1);
    }
    free(buf);
}

static void context(Lift__Context *c)
{
    lift__context__init(c);
    c->has_trigger = c->has_stage = c->has_channel = 1;
    c->trigger = LIFT__TRIGGER__TRIGGER_USAGE_THRESHOLD;
    c->stage = LIFT__STAGE__STAGE_GROWTH;
    c->channel = LIFT__CHANNEL__CHANNEL_IN_APP;
}

int main(int argc, char **argv)
{
    if (argc != 2) {
        fprintf(stderr, "usage: gen_corpus DIR\n");
        return 2;
    }
    dir = argv[1];
    Lift__Request req;

    Lift__Ping ping = LIFT__PING__INIT;
    lift__request__init(&req);
    req.body_case = LIFT__REQUEST__BODY_PING;
    req.ping = &ping;
    emit("ping", &req);

    /* A definition using every field. */
    Lift__Experiment x = LIFT__EXPERIMENT__INIT;
    Lift__Arm a0 = LIFT__ARM__INIT, a1 = LIFT__ARM__INIT, a2 = LIFT__ARM__INIT;
    Lift__Arm *arms[] = {&a0, &a1, &a2};
    a0.name = "holdout";
    a1.name = "discount";
    a2.name = "trial";
    a0.has_weight = a1.has_weight = a2.has_weight = 1;
    a0.weight = 0.1;
    a1.weight = 0.45;
    a2.weight = 0.45;
    a1.payload = "offer-20pct";
    x.key = "full";
    x.name = "Full";
    x.hypothesis = "discounts lift upgrades";
    x.owner = "growth";
    x.n_arms = 3;
    x.arms = arms;
    x.has_coverage = 1;
    x.coverage = 0.5;
    x.seed = "s1";
    Lift__Namespace ns = LIFT__NAMESPACE__INIT;
    ns.id = "pricing";
    ns.has_lo = ns.has_hi = 1;
    ns.lo = 0;
    ns.hi = 0.5;
    x.namespace_ = &ns;
    Lift__Eligibility el = LIFT__ELIGIBILITY__INIT;
    Lift__Trigger trig[] = {LIFT__TRIGGER__TRIGGER_USAGE_THRESHOLD,
                            LIFT__TRIGGER__TRIGGER_TEAM_GROWTH};
    Lift__Channel chan[] = {LIFT__CHANNEL__CHANNEL_EMAIL};
    el.n_triggers = 2;
    el.triggers = trig;
    el.n_channels = 1;
    el.channels = chan;
    x.eligibility = &el;
    x.has_start_ms = 1;
    x.start_ms = 1735689600000LL;
    Lift__Analysis an = LIFT__ANALYSIS__INIT;
    an.has_primary_metric = an.has_alpha = an.has_cuped = 1;
    an.primary_metric = LIFT__METRIC__METRIC_CONVERSION;
    an.alpha = 0.1;
    an.cuped = 1;
    x.analysis = &an;
    Lift__CreateExperiment ce = LIFT__CREATE_EXPERIMENT__INIT;
    ce.experiment = &x;
    lift__request__init(&req);
    req.body_case = LIFT__REQUEST__BODY_CREATE_EXPERIMENT;
    req.create_experiment = &ce;
    emit("create_full", &req);
    x.key = "exp"; /* the fuzzer's own: a different definition -> ALREADY_EXISTS */
    x.namespace_ = NULL;
    x.eligibility = NULL;
    emit("create_existing", &req);

    Lift__GetExperiment get = LIFT__GET_EXPERIMENT__INIT;
    get.key = "exp";
    lift__request__init(&req);
    req.body_case = LIFT__REQUEST__BODY_GET_EXPERIMENT;
    req.get_experiment = &get;
    emit("get", &req);

    Lift__ListExperiments list = LIFT__LIST_EXPERIMENTS__INIT;
    list.has_status = 1;
    list.status = LIFT__EXPERIMENT_STATUS__STATUS_RUNNING;
    lift__request__init(&req);
    req.body_case = LIFT__REQUEST__BODY_LIST_EXPERIMENTS;
    req.list_experiments = &list;
    emit("list", &req);

    Lift__ChangeExperiment ch = LIFT__CHANGE_EXPERIMENT__INIT;
    ch.key = "exp";
    ch.has_action = 1;
    ch.action = LIFT__ACTION__ACTION_PAUSE;
    lift__request__init(&req);
    req.body_case = LIFT__REQUEST__BODY_CHANGE_EXPERIMENT;
    req.change_experiment = &ch;
    emit("change_pause", &req);
    ch.action = LIFT__ACTION__ACTION_RAMP;
    ch.has_coverage = 1;
    ch.coverage = 1.0;
    emit("change_ramp", &req);

    Lift__Context ctx;
    context(&ctx);
    Lift__Assign as = LIFT__ASSIGN__INIT;
    as.experiment_key = "exp";
    as.customer_id = "cust-1";
    as.context = &ctx;
    lift__request__init(&req);
    req.body_case = LIFT__REQUEST__BODY_ASSIGN;
    req.assign = &as;
    emit("assign", &req);

    char *ids[] = {"c1", "c2", "c\xc3\xa9", "c4"};
    Lift__AssignBatch ab = LIFT__ASSIGN_BATCH__INIT;
    ab.experiment_key = "exp";
    ab.n_customer_ids = 4;
    ab.customer_ids = ids;
    ab.context = &ctx;
    lift__request__init(&req);
    req.body_case = LIFT__REQUEST__BODY_ASSIGN_BATCH;
    req.assign_batch = &ab;
    emit("assign_batch", &req);

    /* One event of each type in one Track. */
    Lift__Event ev[6];
    Lift__Event *evp[6];
    static char *eids[] = {"e1", "e2", "e3", "e4", "e5", "e6"};
    for (int i = 0; i < 6; i++) {
        lift__event__init(&ev[i]);
        evp[i] = &ev[i];
        ev[i].event_id = eids[i];
        ev[i].customer_id = "cust-1";
        ev[i].has_type = ev[i].has_timestamp_ms = 1;
        ev[i].type = (Lift__EventType)(i + 1);
        ev[i].timestamp_ms = 1767225000000LL;
    }
    ev[0].experiment_key = ev[1].experiment_key = "exp";
    ev[0].has_arm = ev[1].has_arm = 1;
    ev[0].arm = ev[1].arm = 1;
    ev[2].has_amount_minor = ev[3].has_amount_minor = 1;
    ev[2].amount_minor = 4900;
    ev[3].amount_minor = 900;
    ev[2].currency = "USD";
    ev[2].plan_from = "basic";
    ev[2].plan_to = "pro";
    ev[5].has_nps_score = 1;
    ev[5].nps_score = 9;
    Lift__Track tr = LIFT__TRACK__INIT;
    tr.n_events = 6;
    tr.events = evp;
    lift__request__init(&req);
    req.body_case = LIFT__REQUEST__BODY_TRACK;
    req.track = &tr;
    emit("track_all_types", &req);

    Lift__ReportRequest rr = LIFT__REPORT_REQUEST__INIT;
    Lift__Dimension dims[] = {LIFT__DIMENSION__DIMENSION_TRIGGER, LIFT__DIMENSION__DIMENSION_DELAY};
    uint32_t ret[] = {7, 30};
    rr.experiment_key = "exp";
    rr.n_segment_by = 2;
    rr.segment_by = dims;
    rr.n_retention_days = 2;
    rr.retention_days = ret;
    rr.has_alpha = 1;
    rr.alpha = 0.05;
    lift__request__init(&req);
    req.body_case = LIFT__REQUEST__BODY_REPORT;
    req.report = &rr;
    emit("report", &req);

    /* program holdouts: create (every field), start, is_held_out, the program report */
    Lift__Holdout h = LIFT__HOLDOUT__INIT;
    Lift__Exclusions hx = LIFT__EXCLUSIONS__INIT;
    Lift__Eligibility hs = LIFT__ELIGIBILITY__INIT;
    static char *hkeys[] = {"exp", "exp-2"}, *hids[] = {"vip-1"}, *hpre[] = {"test-"};
    Lift__Channel hch[] = {LIFT__CHANNEL__CHANNEL_IN_APP};
    hs.n_channels = 1;
    hs.channels = hch;
    hx.n_customer_ids = 1;
    hx.customer_ids = hids;
    hx.n_id_prefixes = 1;
    hx.id_prefixes = hpre;
    h.key = "prog";
    h.has_percent = 1;
    h.percent = 5;
    h.has_link = 1;
    h.link = LIFT__HOLDOUT_LINK__LINK_EXPLICIT;
    h.n_experiment_keys = 2;
    h.experiment_keys = hkeys;
    h.scope = &hs;
    h.exclusions = &hx;
    Lift__CreateHoldout hc = LIFT__CREATE_HOLDOUT__INIT;
    hc.holdout = &h;
    lift__request__init(&req);
    req.body_case = LIFT__REQUEST__BODY_CREATE_HOLDOUT;
    req.create_holdout = &hc;
    emit("holdout_create", &req);
    Lift__ChangeHoldout chg = LIFT__CHANGE_HOLDOUT__INIT;
    chg.key = "prog";
    chg.has_action = 1;
    chg.action = LIFT__ACTION__ACTION_START;
    lift__request__init(&req);
    req.body_case = LIFT__REQUEST__BODY_CHANGE_HOLDOUT;
    req.change_holdout = &chg;
    emit("holdout_start", &req);
    static char *qids[] = {"c1", "vip-1", "test-9"};
    Lift__IsHeldOut q = LIFT__IS_HELD_OUT__INIT;
    q.holdout_key = "prog";
    q.n_customer_ids = 3;
    q.customer_ids = qids;
    lift__request__init(&req);
    req.body_case = LIFT__REQUEST__BODY_IS_HELD_OUT;
    req.is_held_out = &q;
    emit("is_held_out", &req);
    Lift__ReportRequest pr = LIFT__REPORT_REQUEST__INIT;
    pr.holdout_key = "prog";
    lift__request__init(&req);
    req.body_case = LIFT__REQUEST__BODY_REPORT;
    req.report = &pr;
    emit("report_holdout", &req);
    return 0;
}
