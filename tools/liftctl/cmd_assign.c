/* liftctl assign: asks liftd which arm customers get in one context (Assign for --customer,
 * AssignBatch of up to 10,000 ids per request for --customers FILE) and prints one line each,
 * in input order (an id that cannot be sent gets its line in place).
 * Eligibility and hashing happen in liftd; this file only validates flags and formats results. */
#include "cmd.h"
#include "out.h"

#include <jansson.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct {
    const char *key;     /* experiment key */
    lift_context_t ctx;  /* decision context, shared by every customer */
    int json;            /* JSON lines instead of TSV */
    lift_local_t *local; /* --local: decided here (lift/local.h), exposures sent in batches */
    long invalid;        /* customers the server (or the length check) rejected */
} assign_run_t;

static void assign_help(void)
{
    printf("usage: liftctl assign EXPERIMENT (--customer ID | --customers FILE)\n"
           "                      --trigger T --stage S --channel C [--trigger-time T]\n"
           "                      [--open-ticket] [--billing-dispute] [--local]\n"
           "\n"
           "Asks liftd for each customer's arm in this context (recording the first eligible\n"
           "decision as the customer's exposure) and prints `id<TAB>arm_index<TAB>arm_name`,\n"
           "or `id<TAB>-1<TAB>none` when not in the experiment or not eligible. With --json: one\n"
           "JSON object per line with eligible, reason, first_exposure and payload.\n"
           "\n"
           "  --customer ID        one customer (1..%d bytes of UTF-8)\n"
           "  --customers FILE     one id per line, `-` = stdin; blank lines are skipped;\n"
           "                       sent in batches of up to %d\n"
           "  --trigger T          %s\n"
           "  --stage S            %s\n"
           "  --channel C          %s\n"
           "  --trigger-time T     when the trigger fired: 2026-11-30T09:00:00Z or epoch ms\n"
           "  --open-ticket        the customer has an open support ticket (suppressed)\n"
           "  --billing-dispute    the customer is in a billing dispute (suppressed)\n"
           "  --local              decide in this process with liftd's definitions and code\n"
           "                       (local evaluation); first exposures are sent to liftd in\n"
           "                       batches and acknowledged before liftctl exits (status 1 if\n"
           "                       they could not be); first_exposure = queued here\n"
           "\n"
           "exit status: 0 ok, 1 server error or a rejected customer id, 2 usage error\n",
           LIFT_CUSTOMER_ID_MAX, LIFT_BATCH_MAX, lift_trigger_names(), lift_stage_names(),
           lift_channel_names());
}

/* Prints one customer's line. id is `len` bytes (it may hold NUL bytes when rejected locally).
 * In TSV a rejected id (a->error) is shown escaped (lift_safe_textn): it may hold control
 * bytes or invalid UTF-8, and its line must stay one line; an accepted id is valid UTF-8
 * without controls and is printed as given, so the output joins back to the input. */
static void print_assignment(assign_run_t *run, const char *id, size_t len,
                             const lift_assignment_t *a, long line)
{
    char shown[LIFT_SAFE_CAP(LIFT_CUSTOMER_ID_MAX) + 8], why[1024], arm[256];
    const char *sid = id;
    if (a->error) {
        run->invalid++;
        sid = lift_safe_textn(id, len, shown, sizeof shown);
        lift_safe_text(a->error, why, sizeof why);
        if (line > 0)
            fprintf(stderr, "liftctl: line %ld: %s: %s\n", line, lift_err_name(a->error_code), why);
        else
            fprintf(stderr, "liftctl: --customer: %s: %s\n", lift_err_name(a->error_code), why);
    }
    if (!run->json) {
        if (a->in_experiment)
            printf("%s\t%d\t%s\n", sid, a->arm_index,
                   a->arm_name ? lift_safe_text(a->arm_name, arm, sizeof arm) : "");
        else
            printf("%s\t-1\tnone\n", sid);
        return;
    }
    /* A reason a newer liftd added: not eligible, shown with its number (proto: Reason). */
    char unk[48];
    const char *rname = lift_reason_name(a->reason); /* "unknown" past names.c's table */
    if (strcmp(rname, "unknown") == 0) {
        snprintf(unk, sizeof unk, "unknown reason %d", a->reason);
        rname = unk;
    }
    json_t *o = json_object();
    /* JSON escapes control bytes itself (and liftctl_json_print C1 and bidi controls): the id
     * as given, unless it holds a NUL byte (which many JSON readers refuse) or is not UTF-8 */
    json_t *jid = memchr(id, '\0', len) ? NULL : json_stringn(id, len);
    if (jid == NULL)
        jid = json_string(lift_safe_textn(id, len, shown, sizeof shown));
    json_object_set_new(o, "customer_id", jid);
    json_object_set_new(o, "in_experiment", json_boolean(a->in_experiment));
    json_object_set_new(o, "eligible", json_boolean(a->eligible && rname != unk));
    json_object_set_new(o, "reason", json_string(rname));
    json_object_set_new(o, "arm_index", json_integer(a->in_experiment ? a->arm_index : -1));
    json_object_set_new(o, "arm_name",
                        a->in_experiment && a->arm_name ? json_string(a->arm_name) : json_null());
    json_object_set_new(o, "payload", a->arm_payload ? json_string(a->arm_payload) : json_null());
    json_object_set_new(o, "first_exposure", json_boolean(a->first_exposure));
    if (a->error)
        json_object_set_new(o, "error", json_string(a->error));
    liftctl_json_print(o, stdout, JSON_COMPACT | JSON_PRESERVE_ORDER);
    json_decref(o);
}

/* A local decision refused as a whole (unknown experiment, context liftd would refuse). */
static int local_fail(const assign_run_t *run, lift_err_t err)
{
    fprintf(stderr, "liftctl: %s: %s\n", lift_err_name(err),
            err == LIFT_ERR_NOT_FOUND
                ? "no experiment with this key in liftd's definitions (--local)"
                : "liftd would refuse this context: trigger, stage, channel and a trigger time "
                  "within [2000-01-01, now + 24 h] and at most 24 h before the start (--local)");
    (void)run;
    return LIFTCTL_ERR;
}

/* A line of --customers FILE waiting for its batch: sent, or rejected here. */
typedef struct {
    char *id;     /* the line without its end (NUL-terminated; may hold NUL bytes) */
    size_t len;   /* bytes in id */
    long line;    /* input line number */
    int local;    /* 1: rejected here (not sent) */
    char why[96]; /* local: the reason */
} pending_t;

/* Sends the ids of pending[0..n) that can be sent (one AssignBatch when there are any) and
 * prints one line for every entry, in input order: an id rejected here gets its -1 line in
 * place, like one liftd rejects. 0, or an exit code. */
static int flush(lift_client_t *c, assign_run_t *run, pending_t *pending, size_t n,
                 const char **send)
{
    lift_assignment_t *out = NULL;
    size_t n_send = 0;
    for (size_t i = 0; i < n; i++)
        if (!pending[i].local)
            send[n_send++] = pending[i].id;
    if (n_send > 0 && run->local) {
        out = calloc(n_send, sizeof *out);
        if (out == NULL) {
            fprintf(stderr, "liftctl: out of memory\n");
            return LIFTCTL_ERR;
        }
        lift_err_t err =
            lift_local_assign_batch(run->local, run->key, send, n_send, &run->ctx, out);
        if (err != LIFT_OK) {
            free(out);
            return local_fail(run, err);
        }
    } else if (n_send > 0) {
        lift_err_t err = lift_assign_batch(c, run->key, send, n_send, &run->ctx, &out);
        if (err != LIFT_OK)
            return liftctl_fail(c, err);
    }
    for (size_t i = 0, j = 0; i < n; i++) {
        const pending_t *p = &pending[i];
        if (p->local) {
            lift_assignment_t a = {0};
            a.arm_index = -1;
            a.reason = LIFT__REASON__REASON_INVALID;
            a.error_code = LIFT_ERR_INVALID_ARGUMENT;
            a.error = p->why;
            print_assignment(run, p->id, p->len, &a, p->line);
        } else {
            print_assignment(run, p->id, p->len, &out[j++], p->line);
        }
    }
    if (run->local)
        free(out); /* local results own no strings */
    else
        lift_assignments_free(&out);
    return 0;
}

static int assign_file(lift_client_t *c, assign_run_t *run, const char *path)
{
    FILE *f = strcmp(path, "-") == 0 ? stdin : fopen(path, "r");
    if (f == NULL) {
        perror("liftctl: --customers");
        return LIFTCTL_USAGE;
    }
    pending_t *pending = calloc(LIFT_BATCH_MAX, sizeof *pending);
    const char **send = calloc(LIFT_BATCH_MAX, sizeof *send);
    char *buf = NULL;
    size_t cap = 0, n = 0;
    long line = 0;
    ssize_t len;
    int rc = 0;
    if (pending == NULL || send == NULL) {
        fprintf(stderr, "liftctl: out of memory\n");
        rc = LIFTCTL_ERR;
        goto done;
    }
    while (rc == 0 && (len = getline(&buf, &cap, f)) >= 0) {
        line++;
        while (len > 0 && (buf[len - 1] == '\n' || buf[len - 1] == '\r'))
            buf[--len] = '\0';
        if (len == 0)
            continue;
        pending_t *p = &pending[n];
        memset(p, 0, sizeof *p);
        if ((p->id = malloc((size_t)len + 1)) == NULL) {
            fprintf(stderr, "liftctl: out of memory\n");
            rc = LIFTCTL_ERR;
            break;
        }
        memcpy(p->id, buf, (size_t)len + 1);
        p->len = (size_t)len;
        p->line = line;
        n++;
        /* What cannot be sent at all is rejected here, under the protocol's bound. */
        const char *nul = memchr(buf, '\0', (size_t)len);
        if (nul != NULL) {
            p->local = 1;
            snprintf(p->why, sizeof p->why, "customer_id: NUL byte at byte %zu",
                     (size_t)(nul - buf));
        } else if ((size_t)len > LIFT_CUSTOMER_ID_MAX) {
            p->local = 1;
            snprintf(p->why, sizeof p->why, "customer_id: %zu bytes, more than the limit of %d",
                     (size_t)len, LIFT_CUSTOMER_ID_MAX);
        }
        if (n == LIFT_BATCH_MAX) {
            rc = flush(c, run, pending, n, send);
            while (n > 0)
                free(pending[--n].id);
        }
    }
    if (rc == 0 && ferror(f)) {
        perror("liftctl: --customers");
        rc = LIFTCTL_ERR;
    }
    if (rc == 0 && n > 0)
        rc = flush(c, run, pending, n, send);
done:
    while (pending && n > 0)
        free(pending[--n].id);
    free(pending);
    free(send);
    free(buf);
    if (f != stdin)
        fclose(f);
    return rc;
}

/* The context's enum flags: one table, so that each is parsed and required alike. */
static const struct {
    const char *flag;                  /* the option */
    int (*parse)(const char *, int *); /* lift.h's name -> value */
    const char *(*names)(void);        /* the allowed names, for the error */
    size_t off;                        /* the int in lift_context_t */
} context_enums[] = {
    {"--trigger", lift_trigger_parse, lift_trigger_names, offsetof(lift_context_t, trigger)},
    {"--stage", lift_stage_parse, lift_stage_names, offsetof(lift_context_t, stage)},
    {"--channel", lift_channel_parse, lift_channel_names, offsetof(lift_context_t, channel)},
};
#define N_CONTEXT_ENUMS (sizeof context_enums / sizeof context_enums[0])

/* argv[*i] is one of context_enums' flags: 1 after setting it in *ctx and have[k], 0 when it
 * is none of them, -1 on a bad value (printed). */
static int context_enum_flag(lift_context_t *ctx, int *have, int argc, char **argv, int *i)
{
    for (size_t k = 0; k < N_CONTEXT_ENUMS; k++) {
        const char *v;
        int r = liftctl_flag(argc, argv, i, context_enums[k].flag, &v);
        if (r == 0)
            continue;
        if (r < 0 || liftctl_parse_enum(context_enums[k].flag, v, context_enums[k].parse,
                                        context_enums[k].names,
                                        (int *)((char *)ctx + context_enums[k].off)) != 0)
            return -1;
        have[k] = 1;
        return 1;
    }
    return 0;
}

/* One customer (--customer), through liftd or the local evaluator: an exit code. */
static int assign_one(lift_client_t *c, assign_run_t *run, const char *customer)
{
    lift_assignment_t a;
    lift_err_t err = run->local ? lift_local_assign(run->local, run->key, customer, &run->ctx, &a)
                                : lift_assign(c, run->key, customer, &run->ctx, &a);
    if (err != LIFT_OK)
        return run->local ? local_fail(run, err) : liftctl_fail(c, err);
    print_assignment(run, customer, strlen(customer), &a, 0);
    if (!run->local)
        lift_assignment_clear(&a);
    return LIFTCTL_OK;
}

/* --local's end: waits for liftd to acknowledge the exposures (or says how many it did not)
 * and destroys the evaluator. Returns rc, or LIFTCTL_ERR for exposures lost when rc was 0. */
static int local_finish(assign_run_t *run, const liftctl_opts_t *o, int rc)
{
    int wait = o->timeout_ms > 0 ? o->timeout_ms * (o->retries > 0 ? o->retries : 1) : 10000;
    lift_err_t fe = lift_local_flush(run->local, wait);
    lift_local_stats_t st;
    lift_local_stats(run->local, &st);
    if (fe != LIFT_OK || st.dropped > 0 || st.rejected > 0) {
        fprintf(stderr,
                "liftctl: --local: %zu exposure%s not acknowledged by liftd, %llu dropped, "
                "%llu refused\n",
                st.buffered, st.buffered == 1 ? "" : "s", (unsigned long long)st.dropped,
                (unsigned long long)st.rejected);
        if (rc == 0)
            rc = LIFTCTL_ERR;
    }
    if (st.skew > 0)
        fprintf(stderr, "liftctl: --local: %llu decision%s differ from the arm liftd holds\n",
                (unsigned long long)st.skew, st.skew == 1 ? "" : "s");
    lift_local_destroy(&run->local);
    return rc;
}

int cmd_assign(const liftctl_opts_t *opts, int argc, char **argv)
{
    liftctl_opts_t o = *opts;
    assign_run_t run = {0};
    const char *customer = NULL, *file = NULL;
    int have[N_CONTEXT_ENUMS] = {0}, local = 0;
    for (int i = 1; i < argc; i++) {
        const char *v, *a = argv[i];
        int r, g;
        if (liftctl_is_help(a)) {
            assign_help();
            return LIFTCTL_OK;
        }
        if ((g = liftctl_global_flag(&o, argc, argv, &i)) != 0) {
            if (g < 0)
                return LIFTCTL_USAGE;
            continue;
        }
        if (strcmp(a, "--open-ticket") == 0) {
            run.ctx.open_support_ticket = true;
            continue;
        }
        if (strcmp(a, "--billing-dispute") == 0) {
            run.ctx.billing_dispute = true;
            continue;
        }
        if (strcmp(a, "--local") == 0) {
            local = 1;
            continue;
        }
        if ((r = liftctl_flag(argc, argv, &i, "--customer", &v)) != 0) {
            if (r < 0)
                return LIFTCTL_USAGE;
            size_t n = strlen(v);
            if (n < 1 || n > LIFT_CUSTOMER_ID_MAX) {
                fprintf(stderr, "liftctl: --customer: %zu bytes, must be 1..%d\n", n,
                        LIFT_CUSTOMER_ID_MAX);
                return LIFTCTL_USAGE;
            }
            customer = v;
        } else if ((r = liftctl_flag(argc, argv, &i, "--customers", &v)) != 0) {
            if (r < 0)
                return LIFTCTL_USAGE;
            file = v;
        } else if ((r = context_enum_flag(&run.ctx, have, argc, argv, &i)) != 0) {
            if (r < 0)
                return LIFTCTL_USAGE;
        } else if ((r = liftctl_flag(argc, argv, &i, "--trigger-time", &v)) != 0) {
            if (r < 0 || liftctl_parse_time("--trigger-time", v, &run.ctx.trigger_time_ms) != 0)
                return LIFTCTL_USAGE;
            if (run.ctx.trigger_time_ms == 0) {
                fprintf(stderr, "liftctl: --trigger-time: must be after 1970-01-01T00:00:00Z\n");
                return LIFTCTL_USAGE;
            }
        } else if (a[0] == '-' && a[1] != '\0') {
            return liftctl_usage_error("assign", "assign: unknown flag '%s'", a);
        } else if (run.key == NULL) {
            run.key = a;
        } else {
            return liftctl_usage_error("assign", "assign: unexpected argument '%s'", a);
        }
    }
    if (run.key == NULL)
        return liftctl_usage_error("assign", "assign: missing EXPERIMENT (its key)");
    if ((customer == NULL) == (file == NULL))
        return liftctl_usage_error("assign",
                                   "assign: give exactly one of --customer ID or --customers FILE");
    for (size_t k = 0; k < N_CONTEXT_ENUMS; k++)
        if (!have[k])
            return liftctl_usage_error(
                "assign", "assign: missing %s (a decision needs trigger, stage and channel)",
                context_enums[k].flag);
    run.json = o.json;
    lift_client_t *c = NULL;
    if (local) {
        if ((run.local = liftctl_connect_local(&o)) == NULL)
            return LIFTCTL_ERR;
    } else if ((c = liftctl_connect(&o)) == NULL) {
        return LIFTCTL_USAGE;
    }
    int rc = customer ? assign_one(c, &run, customer) : assign_file(c, &run, file);
    lift_client_destroy(&c);
    if (run.local)
        rc = local_finish(&run, &o, rc);
    if (rc == 0 && run.invalid > 0) {
        fprintf(stderr, "liftctl: %ld customer id%s rejected\n", run.invalid,
                run.invalid == 1 ? "" : "s");
        rc = LIFTCTL_ERR;
    }
    return rc;
}
