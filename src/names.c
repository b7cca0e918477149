/* Lift name tables: lower-case names <-> lift.proto enum values, error code names and texts.
 * Shared by liftd (messages), the client library and liftctl (flags, JSON). Pure functions over
 * constant tables: no I/O, no allocation, no state. */
#include "lift/lift.h"

#include <stdio.h>
#include <string.h>
#include <time.h>

#include "lift.pb-c.h"

/* The tables are indexed by the proto value: make the build fail if the proto ever moves one. */
_Static_assert(LIFT__TRIGGER__TRIGGER_INTEGRATION == 5, "lift.Trigger changed: update names.c");
_Static_assert(LIFT__STAGE__STAGE_AT_RISK == 5, "lift.Stage changed: update names.c");
_Static_assert(LIFT__CHANNEL__CHANNEL_PUSH_SMS == 5, "lift.Channel changed: update names.c");
_Static_assert(LIFT__EXPERIMENT_STATUS__STATUS_STOPPED == 4, "lift.ExperimentStatus changed");
_Static_assert(LIFT__METRIC__METRIC_RETENTION == 3, "lift.Metric changed: update names.c");
_Static_assert(LIFT__ACTION__ACTION_RAMP == 5, "lift.Action changed: update names.c");
_Static_assert(LIFT__REASON__REASON_PROGRAM_HOLDOUT == 13, "lift.Reason changed: update names.c");
_Static_assert(LIFT__EVENT_TYPE__EVENT_NPS == 6, "lift.EventType changed: update names.c");
_Static_assert(LIFT__CODE__INTERNAL == (int)LIFT_ERR_INTERNAL, "lift.Code changed: update lift.h");

#define COUNT(a) (sizeof(a) / sizeof((a)[0]))

static const char *const triggers[] = {"unspecified",         "usage_threshold",
                                       "feature_exploration", "engagement_acceleration",
                                       "team_growth",         "integration"};
static const char *const stages[] = {"unspecified", "onboarding", "growth",
                                     "maturity",    "renewal",    "at_risk"};
static const char *const channels[] = {"unspecified", "in_app", "email", "csm", "chat", "push_sms"};
static const char *const statuses[] = {"unspecified", "draft", "running", "paused", "stopped"};
static const char *const metrics[] = {"unspecified", "revenue", "conversion", "retention"};
static const char *const actions[] = {"unspecified", "start", "pause", "resume", "stop", "ramp"};
static const char *const reasons[] = {"none",
                                      "not_running",
                                      "before_start",
                                      "after_end",
                                      "at_risk",
                                      "suppressed_ticket",
                                      "suppressed_dispute",
                                      "trigger_not_allowed",
                                      "stage_not_allowed",
                                      "channel_not_allowed",
                                      "outside_namespace",
                                      "outside_coverage",
                                      "invalid",
                                      "program_holdout"};
static const char *const event_types[] = {"unspecified", "impression", "click", "conversion",
                                          "refund",      "churn",      "nps"};

static const char *name_of(const char *const *table, size_t n, int value)
{
    if (value < 0 || (size_t)value >= n)
        return "unknown";
    return table[value];
}

/* first: the lowest value that has a real name (1 where 0 means "unspecified"). */
static int parse_in(const char *const *table, size_t n, int first, const char *name, int *out)
{
    if (name == NULL || out == NULL)
        return -1;
    for (size_t i = (size_t)first; i < n; i++) {
        if (strcmp(table[i], name) == 0) {
            *out = (int)i;
            return 0;
        }
    }
    return -1;
}

#define NAME_TABLE(E, table, first, list)                                                          \
    const char *lift_##E##_name(int value)                                                         \
    {                                                                                              \
        return name_of(table, COUNT(table), value);                                                \
    }                                                                                              \
    int lift_##E##_parse(const char *name, int *out)                                               \
    {                                                                                              \
        return parse_in(table, COUNT(table), first, name, out);                                    \
    }                                                                                              \
    const char *lift_##E##_names(void)                                                             \
    {                                                                                              \
        return list;                                                                               \
    }

NAME_TABLE(
    trigger, triggers, 1,
    "usage_threshold, feature_exploration, engagement_acceleration, team_growth, integration")
NAME_TABLE(stage, stages, 1, "onboarding, growth, maturity, renewal, at_risk")
NAME_TABLE(channel, channels, 1, "in_app, email, csm, chat, push_sms")
NAME_TABLE(status, statuses, 1, "draft, running, paused, stopped")
NAME_TABLE(metric, metrics, 1, "revenue, conversion, retention")
NAME_TABLE(action, actions, 1, "start, pause, resume, stop, ramp")
NAME_TABLE(reason, reasons, 0,
           "none, not_running, before_start, after_end, at_risk, suppressed_ticket, "
           "suppressed_dispute, trigger_not_allowed, stage_not_allowed, channel_not_allowed, "
           "outside_namespace, outside_coverage, invalid, program_holdout")
NAME_TABLE(event_type, event_types, 1, "impression, click, conversion, refund, churn, nps")

const char *lift_err_name(int err)
{
    static const char *const codes[] = {"OK",
                                        "INVALID_ARGUMENT",
                                        "NOT_FOUND",
                                        "ALREADY_EXISTS",
                                        "FAILED_PRECONDITION",
                                        "PERMISSION_DENIED",
                                        "RESOURCE_EXHAUSTED",
                                        "UNAVAILABLE",
                                        "INTERNAL"};
    if (err >= 0 && (size_t)err < COUNT(codes))
        return codes[err];
    switch (err) {
    case LIFT_ERR_PROTOCOL:
        return "PROTOCOL";
    case LIFT_ERR_SYSTEM:
        return "SYSTEM";
    case LIFT_ERR_NOMEM:
        return "NOMEM";
    default:
        return "UNKNOWN";
    }
}

const char *lift_strerror(int err)
{
    switch (err) {
    case LIFT_OK:
        return "success";
    case LIFT_ERR_INVALID_ARGUMENT:
        return "a field is malformed or out of bounds";
    case LIFT_ERR_NOT_FOUND:
        return "no experiment with that key";
    case LIFT_ERR_ALREADY_EXISTS:
        return "key taken by a different definition";
    case LIFT_ERR_FAILED_PRECONDITION:
        return "not allowed in the experiment's current state";
    case LIFT_ERR_PERMISSION_DENIED:
        return "the caller's role may not do this";
    case LIFT_ERR_RESOURCE_EXHAUSTED:
        return "server queue full: retry later";
    case LIFT_ERR_UNAVAILABLE:
        return "service unavailable: retry later";
    case LIFT_ERR_INTERNAL:
        return "internal server error";
    case LIFT_ERR_PROTOCOL:
        return "undecodable or unexpected reply";
    case LIFT_ERR_SYSTEM:
        return "system or ZeroMQ error";
    case LIFT_ERR_NOMEM:
        return "out of memory";
    default:
        return "unknown error";
    }
}

char *lift_time_format(int64_t ms, char *buf, size_t len)
{
    if (!buf || len == 0)
        return buf;
    int64_t sec = ms >= 0 ? ms / 1000 : -((-ms + 999) / 1000);
    int frac = (int)(ms - sec * 1000);
    struct tm tm;
    time_t t = (time_t)sec;
    if (ms < -62135596800000LL || ms > 253402300799999LL || !gmtime_r(&t, &tm)) {
        snprintf(buf, len, "%lld ms since 1970", (long long)ms);
        return buf;
    }
    snprintf(buf, len, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", tm.tm_year + 1900, tm.tm_mon + 1,
             tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, frac);
    return buf;
}

const char *lift_request_body_name(int body_case)
{
    if (body_case <= 0)
        return NULL;
    const ProtobufCFieldDescriptor *f =
        protobuf_c_message_descriptor_get_field(&lift__request__descriptor, (unsigned)body_case);
    return f && (f->flags & PROTOBUF_C_FIELD_FLAG_ONEOF) ? f->name : NULL;
}
