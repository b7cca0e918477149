/* liftsim: simulates a SaaS customer base over the past N weeks, drives a real liftd through the
 * client library (assign -> impression -> click -> upgrade, organic upgrades, refunds, churn, NPS)
 * and prints the ground truth it created; with --rate/--duration it is a load generator.
 * This file is the driver: options, the config, the experiments and program holdout on liftd,
 * then the model (model.h) or the load (load.h). It computes no report and no statistics. */
#include <errno.h>
#include <inttypes.h>
#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <gsl/gsl_errno.h>

#include "config.h"
#include "lift/client.h"
#include "lift/currency.h"
#include "lift/lift.h"
#include "load.h"
#include "model.h"
#include "opts.h"
#include "simtime.h"

/* ---- experiments on the server -------------------------------------------------------------- */

static int same_arms(const Lift__Experiment *a, const Lift__Experiment *b)
{
    if (a->n_arms != b->n_arms)
        return 0;
    for (size_t i = 0; i < a->n_arms; i++)
        if (!a->arms[i]->name || !b->arms[i]->name ||
            strcmp(a->arms[i]->name, b->arms[i]->name) != 0 ||
            fabs(a->arms[i]->weight - b->arms[i]->weight) > 1e-12)
            return 0;
    return 1;
}

/* The config's program holdout as liftd holds it: created (idempotently; an existing one with
 * the same definition is reused) and started, linked explicitly to every experiment of the
 * config, deciding from start_ms. Returns 0 or -1 (printed). */
static int holdout_ensure(lift_client_t *c, const config_t *cfg, int64_t start_ms)
{
    Lift__Holdout h = LIFT__HOLDOUT__INIT;
    char *keys[CONFIG_MAX_EXP];
    for (int i = 0; i < cfg->n_exp; i++)
        keys[i] = cfg->exp[i]->key;
    h.key = (char *)cfg->prog_key;
    h.has_percent = 1;
    h.percent = cfg->prog_percent;
    h.has_link = 1;
    h.link = LIFT__HOLDOUT_LINK__LINK_EXPLICIT;
    h.n_experiment_keys = (size_t)cfg->n_exp;
    h.experiment_keys = keys;
    h.has_start_ms = 1;
    h.start_ms = start_ms;
    Lift__CreateHoldout ch = LIFT__CREATE_HOLDOUT__INIT;
    ch.holdout = &h;
    Lift__Request req = LIFT__REQUEST__INIT;
    req.body_case = LIFT__REQUEST__BODY_CREATE_HOLDOUT;
    req.create_holdout = &ch;
    Lift__Reply *r = NULL;
    lift_err_t rc = lift_call(c, &req, &r, NULL, 0);
    if (rc == LIFT_ERR_ALREADY_EXISTS) {
        fprintf(stderr,
                "liftsim: program holdout '%s' exists with another definition (another "
                "--weeks or config); use a fresh liftd --data directory\n",
                h.key);
        lift_reply_free(&r);
        return -1;
    }
    if (rc != LIFT_OK || r->body_case != LIFT__REPLY__BODY_HOLDOUT) {
        fprintf(stderr, "liftsim: create program holdout '%s': %s: %s\n", h.key, lift_err_name(rc),
                rc ? lift_client_error(c) : "no holdout in the reply");
        lift_reply_free(&r);
        return -1;
    }
    int status = r->holdout->status;
    lift_reply_free(&r);
    if (status == LIFT__EXPERIMENT_STATUS__STATUS_STOPPED) {
        fprintf(stderr, "liftsim: program holdout '%s' is stopped; use a fresh --data directory\n",
                h.key);
        return -1;
    }
    if (status == LIFT__EXPERIMENT_STATUS__STATUS_RUNNING)
        return 0;
    Lift__ChangeHoldout chg = LIFT__CHANGE_HOLDOUT__INIT;
    chg.key = h.key;
    chg.has_action = 1;
    chg.action = LIFT__ACTION__ACTION_START;
    req.body_case = LIFT__REQUEST__BODY_CHANGE_HOLDOUT;
    req.change_holdout = &chg;
    if ((rc = lift_call(c, &req, NULL, NULL, 0)) != LIFT_OK) {
        fprintf(stderr, "liftsim: start program holdout '%s': %s: %s\n", h.key, lift_err_name(rc),
                lift_client_error(c));
        return -1;
    }
    return 0;
}

/* Creates (idempotently) and starts every experiment of the config with start_ms; an existing
 * experiment with the same arms is reused. Returns 0 or -1 (printed). */
static int experiments_ensure(lift_client_t *c, config_t *cfg, int64_t start_ms, int quiet)
{
    for (int i = 0; i < cfg->n_exp; i++) {
        Lift__Experiment *def = cfg->exp[i], *got = NULL;
        def->has_start_ms = 1;
        def->start_ms = start_ms;
        lift_err_t rc = lift_experiment_create(c, def, &got);
        if (rc == LIFT_ERR_ALREADY_EXISTS) {
            rc = lift_experiment_get(c, def->key, &got);
            if (rc == LIFT_OK && got && !same_arms(def, got)) {
                fprintf(stderr,
                        "liftsim: experiment '%s' exists with other arms or weights; use a fresh "
                        "liftd --data directory or another key\n",
                        def->key);
                lift_experiment_free(&got);
                return -1;
            }
            if (rc == LIFT_OK && !quiet)
                fprintf(stderr,
                        "liftsim: note: experiment '%s' exists (an earlier run); reusing it\n",
                        def->key);
        }
        if (rc != LIFT_OK || !got) {
            fprintf(stderr, "liftsim: create experiment '%s': %s: %s\n", def->key,
                    lift_err_name(rc), rc ? lift_client_error(c) : "no experiment in the reply");
            lift_experiment_free(&got);
            return -1;
        }
        int action = 0;
        if (got->status == LIFT__EXPERIMENT_STATUS__STATUS_DRAFT)
            action = LIFT__ACTION__ACTION_START;
        else if (got->status == LIFT__EXPERIMENT_STATUS__STATUS_PAUSED)
            action = LIFT__ACTION__ACTION_RESUME;
        else if (got->status == LIFT__EXPERIMENT_STATUS__STATUS_STOPPED) {
            fprintf(stderr, "liftsim: experiment '%s' is stopped; use a fresh --data directory\n",
                    def->key);
            lift_experiment_free(&got);
            return -1;
        }
        lift_experiment_free(&got);
        if (action && (rc = lift_experiment_change(c, def->key, action, 0, NULL)) != LIFT_OK) {
            fprintf(stderr, "liftsim: %s experiment '%s': %s: %s\n", lift_action_name(action),
                    def->key, lift_err_name(rc), lift_client_error(c));
            return -1;
        }
    }
    return 0;
}

/* ---- main ---------------------------------------------------------------------------------- */

int main(int argc, char **argv)
{
    opts_t o;
    int rc = opts_parse(argc, argv, &o);
    if (rc)
        return rc == 1 ? 0 : 2;
    gsl_set_error_handler_off();
    config_t cfg;
    if (config_load(o.config, &cfg))
        return 2;

    lift_client_opts_t co = {.timeout_ms = 2000, .attempts = 2};
    char eperr[512];
    lift_client_t *c = NULL;
    if (lift_endpoints_check(o.endpoint, eperr, sizeof eperr) < 0 ||
        (c = lift_client_new(o.endpoint, &co)) == NULL) {
        if (c == NULL && !*eperr)
            snprintf(eperr, sizeof eperr, "%s", strerror(errno));
        fprintf(stderr, "liftsim: --endpoint: %s\n", eperr);
        config_clear(&cfg);
        return 2;
    }
    lift_server_info_t info;
    lift_err_t lr = lift_server_info(c, &info);
    int64_t server_now = info.now_ms;
    if (lr != LIFT_OK) {
        fprintf(stderr, "liftsim: cannot reach liftd at %s: %s\n", o.endpoint,
                lift_client_error(c));
        lift_client_destroy(&c);
        config_clear(&cfg);
        return 1;
    }
    /* The period ends at the start of the current hour by the server's clock (it bounds future
     * timestamps): a rerun with the same seed within the hour sends every event with the same
     * content, so liftd counts it as a duplicate (the same event_id with other content — a
     * shifted timestamp — would be a conflict). */
    int64_t end_ms = server_now ? server_now : simtime_wall_ms();
    end_ms -= end_ms % (3600 * 1000);
    int64_t start_ms = end_ms - (int64_t)o.weeks * 7 * SIMTIME_DAY_MS;
    if ((cfg.prog && holdout_ensure(c, &cfg, start_ms)) ||
        experiments_ensure(c, &cfg, start_ms, o.quiet)) {
        lift_client_destroy(&c);
        config_clear(&cfg);
        return 1;
    }
    lift_client_destroy(&c);
    if (o.load) {
        rc = load_run(&o, &cfg);
        config_clear(&cfg);
        return rc;
    }

    double t0 = simtime_mono_s();
    model_t *s = model_new(&o, &cfg, start_ms, end_ms, !o.quiet && isatty(2));
    if (!s) {
        fprintf(stderr, "liftsim: out of memory for %ld customers\n", o.customers);
        config_clear(&cfg);
        return 1;
    }
    rc = model_run(s) ? 1 : 0;
    model_info_t ri = {simtime_mono_s() - t0, "", 2};
    snprintf(ri.currency, sizeof ri.currency, "%s", info.currency);
    if (lift_currency_digits(info.currency) >= 0)
        ri.digits = lift_currency_digits(info.currency);
    if (rc == 0) {
        const char *first;
        uint64_t rejected = model_rejected(s, &first);
        if (rejected) {
            fprintf(stderr, "liftsim: liftd rejected %" PRIu64 " events; first: %s\n", rejected,
                    first);
            rc = 1;
        }
        json_t *j = model_truth_json(s, &ri);
        if (o.truth && json_dump_file(j, o.truth, JSON_INDENT(2)) != 0) {
            fprintf(stderr, "liftsim: --truth: cannot write '%s': %s\n", o.truth, strerror(errno));
            rc = 1;
        }
        if (o.json) {
            json_dumpf(j, stdout, JSON_INDENT(2));
            fputc('\n', stdout);
        } else {
            model_truth_table(stdout, s, &ri);
        }
        json_decref(j);
    }
    model_destroy(&s);
    config_clear(&cfg);
    return rc;
}
