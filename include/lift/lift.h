/* Lift: shared enums, error codes and name tables used by liftd, the client library and liftctl.
 * Values are exactly those of proto/lift.proto (Trigger, Stage, Channel, ...), as plain ints,
 * so this header needs neither protobuf nor ZeroMQ. It does no I/O and holds no state. */
#ifndef LIFT_LIFT_H
#define LIFT_LIFT_H

#include <stddef.h>
#include <stdint.h>

#include "lift/limits.h" /* LIFT_BATCH_MAX, LIFT_CUSTOMER_ID_MAX and the other protocol bounds */

#define LIFT_VERSION "0.2.0"
#define LIFT_HASH_VERSION "growthbook-v2" /* the bucketing hash (Pong, Provenance) */
#define LIFT_DEFAULT_ENDPOINT "tcp://127.0.0.1:5555"

/* Errors. 0..8 are the server's lift.Code values, the rest happen on the client's side. */
typedef enum {
    LIFT_OK = 0,                      /* success */
    LIFT_ERR_INVALID_ARGUMENT = 1,    /* a field is malformed or out of bounds */
    LIFT_ERR_NOT_FOUND = 2,           /* no experiment with that key */
    LIFT_ERR_ALREADY_EXISTS = 3,      /* key taken by a different definition */
    LIFT_ERR_FAILED_PRECONDITION = 4, /* not allowed in the experiment's current state */
    LIFT_ERR_PERMISSION_DENIED = 5,   /* the caller's role may not do this */
    LIFT_ERR_RESOURCE_EXHAUSTED = 6,  /* server queue full: retry later */
    LIFT_ERR_UNAVAILABLE = 7,         /* store cannot commit, or no reply at all: retry later */
    LIFT_ERR_INTERNAL = 8,            /* a bug in the server */
    LIFT_ERR_PROTOCOL = 100,          /* the reply could not be decoded or does not fit */
    LIFT_ERR_SYSTEM = 101,            /* ZeroMQ or the OS failed (see the message) */
    LIFT_ERR_NOMEM = 102              /* out of memory */
} lift_err_t;

/* Upper-case code name, e.g. "INVALID_ARGUMENT" (as in lift.proto); "UNKNOWN" for other
 * values. Static string, never NULL; any thread. */
const char *lift_err_name(int err);

/* One-line description of an error code, e.g. "server queue full: retry later".
 * Static string, never NULL; any thread. */
const char *lift_strerror(int err);

/* Name tables. For every enum E below (E = trigger, stage, channel, status, metric, action,
 * reason, event_type):
 *   const char *lift_E_name(int value)  lower-case name ("usage_threshold"); "unspecified" for
 *                                       0 where 0 means unset, "unknown" for values outside the
 *                                       enum. Static string, never NULL.
 *   int lift_E_parse(const char *name, int *out)
 *                                       0 and *out = value for a known name (exact, lower-case;
 *                                       "unspecified" is not accepted), -1 otherwise (*out
 *                                       untouched). NULL name: -1.
 *   const char *lift_E_names(void)      the accepted names, comma-separated, for error messages.
 * All are pure functions over constant tables: any thread. */
/* usage_threshold feature_exploration engagement_acceleration team_growth integration */
const char *lift_trigger_name(int value);
int lift_trigger_parse(const char *name, int *out);
const char *lift_trigger_names(void);

/* onboarding growth maturity renewal at_risk */
const char *lift_stage_name(int value);
int lift_stage_parse(const char *name, int *out);
const char *lift_stage_names(void);

/* in_app email csm chat push_sms */
const char *lift_channel_name(int value);
int lift_channel_parse(const char *name, int *out);
const char *lift_channel_names(void);

/* draft running paused stopped (lift.ExperimentStatus) */
const char *lift_status_name(int value);
int lift_status_parse(const char *name, int *out);
const char *lift_status_names(void);

/* revenue conversion retention */
const char *lift_metric_name(int value);
int lift_metric_parse(const char *name, int *out);
const char *lift_metric_names(void);

/* start pause resume stop ramp */
const char *lift_action_name(int value);
int lift_action_parse(const char *name, int *out);
const char *lift_action_names(void);

/* none not_running before_start after_end at_risk suppressed_ticket suppressed_dispute
 * trigger_not_allowed stage_not_allowed channel_not_allowed outside_namespace outside_coverage
 * invalid (here 0 is "none", a real name) */
const char *lift_reason_name(int value);
int lift_reason_parse(const char *name, int *out);
const char *lift_reason_names(void);

/* impression click conversion refund churn nps */
const char *lift_event_type_name(int value);
int lift_event_type_parse(const char *name, int *out);
const char *lift_event_type_names(void);

/* The field name of a lift.Request body (its oneof: "ping", "create_experiment", "track", ...),
 * which is also the root of every field path in an error reply; NULL for 0 (no body) and for a
 * value that is not a body. Read from the generated descriptor, so a new body is named without
 * a table to update. Any thread. */
const char *lift_request_body_name(int body_case);

/* Epoch milliseconds as ISO-8601 UTC ("2026-11-02T09:04:12.000Z") into buf (>= 32 bytes for
 * every value; shorter buffers get a truncated string). Times outside what gmtime can show
 * print as "<ms> ms since 1970". Returns buf. Any thread. */
char *lift_time_format(int64_t ms, char *buf, size_t len);

#endif
