/* liftctl ping: asks liftd for its version, clock, currency and limits (Ping), to check that
 * the endpoint and keys work. It changes nothing. */
#include <jansson.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "cmd.h"
#include "lift/lift.h"
#include "out.h"

/* The limits liftd announces, in the order of the JSON output; each key is the field's name. */
#define LIMIT(f)                                                                                   \
    {                                                                                              \
#f, offsetof(Lift__Limits, has_##f), offsetof(Lift__Limits, f)                             \
    }
static const struct {
    const char *name; /* JSON key and Lift__Limits field */
    size_t has;       /* offset of its has_ flag */
    size_t value;     /* offset of the uint32_t */
} limit_fields[] = {
    LIMIT(max_request_bytes),        LIMIT(request_headroom_bytes), LIMIT(batch_max),
    LIMIT(in_flight_per_connection), LIMIT(reports_in_flight),      LIMIT(clock_skew_ms),
    LIMIT(customer_id_max_bytes),    LIMIT(event_id_max_bytes),     LIMIT(segment_by_max),
};
#undef LIMIT

/* The limits that lim holds, as a JSON object. */
static json_t *limits_json(const Lift__Limits *lim)
{
    json_t *jl = json_object();
    const char *m = (const char *)lim;
    for (size_t k = 0; k < sizeof limit_fields / sizeof limit_fields[0]; k++)
        if (*(const protobuf_c_boolean *)(m + limit_fields[k].has))
            json_object_set_new(jl, limit_fields[k].name,
                                json_integer(*(const uint32_t *)(m + limit_fields[k].value)));
    return jl;
}

int cmd_ping(const liftctl_opts_t *gopts, int argc, char **argv)
{
    liftctl_opts_t o = *gopts;
    for (int i = 1; i < argc; i++) {
        if (liftctl_is_help(argv[i])) {
            printf("usage: liftctl ping\n\nAsks liftd for its version and clock, and the "
                   "currency, hash version and\nlimits it announces; exit 0 when it answers. With "
                   "several endpoints, prints\nthe one that answered (the first that does, in "
                   "list order).\n");
            return LIFTCTL_OK;
        }
        int g = liftctl_global_flag(&o, argc, argv, &i);
        if (g < 0)
            return LIFTCTL_USAGE;
        if (g == 0)
            return liftctl_usage_error("ping", "ping: unexpected argument '%s'", argv[i]);
    }
    lift_client_t *c = liftctl_connect(&o);
    if (c == NULL)
        return LIFTCTL_USAGE;
    /* The whole Pong: version and clock, and what the deployment announces (currency, hash
     * version, limits; unset from an older liftd). */
    Lift__Request req = LIFT__REQUEST__INIT;
    Lift__Ping ping = LIFT__PING__INIT;
    req.body_case = LIFT__REQUEST__BODY_PING;
    req.ping = &ping;
    Lift__Reply *reply = NULL;
    lift_err_t rc = lift_call(c, &req, &reply, NULL, 0);
    if (rc == LIFT_OK && (reply == NULL || reply->body_case != LIFT__REPLY__BODY_PONG))
        rc = LIFT_ERR_PROTOCOL;
    if (rc != LIFT_OK) {
        lift_reply_free(&reply);
        int r = liftctl_fail(c, rc);
        lift_client_destroy(&c);
        return r;
    }
    const Lift__Pong *pg = reply->pong;
    const Lift__Limits *lim = pg->limits;
    const char *version = pg->version ? pg->version : "";
    int64_t now = pg->has_now_ms ? pg->now_ms : 0;
    char when[40];
    liftctl_format_time(now, when, sizeof when);
    if (o.json) {
        json_t *j = json_pack("{s:s,s:s,s:I}", "endpoint", lift_client_endpoint(c), "version",
                              version, "now_ms", (json_int_t)now);
        json_object_set_new(j, "currency", pg->currency ? json_string(pg->currency) : json_null());
        json_object_set_new(j, "hash_version",
                            pg->hash_version ? json_string(pg->hash_version) : json_null());
        json_object_set_new(j, "limits", lim ? limits_json(lim) : json_null());
        liftctl_json_print(j, stdout, JSON_PRESERVE_ORDER);
        json_decref(j);
    } else {
        char v[LIFT_SAFE_CAP(64)];
        char ep[LIFT_SAFE_CAP(LIFT_ENDPOINT_LEN_MAX)];
        printf("%s: liftd %s, server time %s\n",
               lift_safe_text(lift_client_endpoint(c), ep, sizeof ep),
               lift_safe_text(version, v, sizeof v), when);
        if (pg->currency || pg->hash_version) {
            char cur[LIFT_SAFE_CAP(16)], hv[LIFT_SAFE_CAP(64)];
            printf("  currency %s, hash %s\n",
                   pg->currency ? lift_safe_text(pg->currency, cur, sizeof cur) : "?",
                   pg->hash_version ? lift_safe_text(pg->hash_version, hv, sizeof hv) : "?");
        }
        if (lim && lim->has_in_flight_per_connection && lim->has_batch_max &&
            lim->has_max_request_bytes)
            printf("  limits: %u requests in flight per connection, %u per batch, %u-byte "
                   "requests\n",
                   lim->in_flight_per_connection, lim->batch_max, lim->max_request_bytes);
    }
    lift_reply_free(&reply);
    lift_client_destroy(&c);
    return LIFTCTL_OK;
}
