/* Lift client library: talks to liftd over ZeroMQ (DEALER) with protobuf-c requests, retrying on
 * timeout with a fresh socket (Lazy Pirate; safe because every Lift write is idempotent), and
 * failing over to the next of several liftd endpoints that share one store.
 * It does not validate requests (liftd does) and does not pool or share sockets across threads. */
#ifndef LIFT_CLIENT_H
#define LIFT_CLIENT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "lift.pb-c.h"
#include "lift/lift.h"

#define LIFT_CLIENT_TIMEOUT_MS 3000  /* default per-attempt timeout */
#define LIFT_CLIENT_ATTEMPTS 3       /* default attempts per request */
#define LIFT_REPORT_TIMEOUT_MS 60000 /* minimum wait for a report once liftd answers a ping */
#define LIFT_CLIENT_ENDPOINTS_MAX 16 /* endpoints in one client's list */
#define LIFT_ENDPOINT_LEN_MAX 255    /* bytes in one endpoint */

typedef struct lift_client lift_client_t;

typedef struct {
    int timeout_ms; /* per-attempt wait for a reply; <= 0: LIFT_CLIENT_TIMEOUT_MS */
    int attempts;   /* sends before giving up (1 = no retry); <= 0: LIFT_CLIENT_ATTEMPTS */
    /* CurveZMQ (all three, or none: NULL = plain, unencrypted): 40-character Z85 keys, copied
     * by lift_client_new. The server admits the client only if public_key is in its
     * authorized-keys file; the request types allowed depend on the role listed there. With
     * several endpoints the same server_key applies to all of them: the liftd instances
     * behind one list share one server key pair (and one authorized-keys file). */
    const char *server_key; /* the server's public key (liftctl keygen on the server) */
    const char *public_key; /* this client's public key */
    const char *secret_key; /* this client's secret key */
} lift_client_opts_t;

/* Creates a client for `endpoint`: one endpoint (e.g. "tcp://127.0.0.1:5555",
 * "ipc:///tmp/lift.sock") or a comma-separated list of up to LIFT_CLIENT_ENDPOINTS_MAX
 * ("tcp://a:5555,tcp://b:5555,ipc:///run/lift.sock"; blanks around an item are ignored; an ipc
 * path holding a comma cannot be listed) of liftd instances over one shared store. Requests go
 * to the current endpoint (the first at the start); when an attempt times out the socket is
 * closed and the retry goes to the next endpoint, round-robin (Lazy Pirate failover), and the
 * first endpoint that answers becomes the current one for later requests. So a dead instance
 * costs a request one timeout, not an outage. Every request type is safe to resend to another
 * instance (see lift_call).
 * ZeroMQ connects in the background: a missing server shows up as a timeout later; so does a
 * server that refuses the client's key, or a wrong server_key.
 * opts NULL = defaults. Returns NULL with errno set on a malformed endpoint list (EINVAL;
 * lift_endpoints_check() says which item and why), malformed or partial curve keys (EINVAL),
 * CURVE missing from libzmq (ENOTSUP) or no memory.
 * The caller owns the client and frees it with lift_client_destroy(). A client is used by one
 * thread at a time (it may move between threads); use one client per thread for parallelism. */
lift_client_t *lift_client_new(const char *endpoint, const lift_client_opts_t *opts);

/* Checks an endpoint list as lift_client_new() does, without connecting: items not empty, at
 * most LIFT_ENDPOINT_LEN_MAX bytes, tcp:// or ipc:// and well formed, no item
 * repeated, at most LIFT_CLIENT_ENDPOINTS_MAX items. Returns the number of endpoints, or -1
 * with errno EINVAL and a message naming the item (by position and text) in err (may be NULL).
 * Thread-safe. */
int lift_endpoints_check(const char *list, char *err, size_t errlen);

/* Number of endpoints in the client's list (1 for a single endpoint). */
size_t lift_client_endpoint_count(const lift_client_t *self);

/* The current endpoint: the one that answered last (the first before any request; after a
 * request where nothing answered, the one the next request goes to). Owned by the client. */
const char *lift_client_endpoint(const lift_client_t *self);

/* Closes the socket and frees the client; accepts NULL and *self_p == NULL; sets *self_p = NULL. */
void lift_client_destroy(lift_client_t **self_p);

/* Sets the per-attempt timeout of later calls on this client (timeout_ms <= 0: the default
 * LIFT_CLIENT_TIMEOUT_MS) and returns the previous one. Same thread rule as the client. */
int lift_client_set_timeout(lift_client_t *self, int timeout_ms);

/* The message of the last failed call on this client ("" after a success): the server's
 * Status.message (with the field when the message does not name it) or a client-side message.
 * Valid until the next call on the client. */
const char *lift_client_error(const lift_client_t *self);

/* The Status.field of the last failed call ("" when none). Valid until the next call. */
const char *lift_client_error_field(const lift_client_t *self);

/* true when the last call failed because nothing answered at all: every attempt timed out
 * (LIFT_ERR_UNAVAILABLE "no reply from ..."): liftd is not running at any endpoint, the
 * endpoints are wrong, or (CURVE) liftd does not know this client's key or server_key is not
 * liftd's, which ZeroMQ drops without a reply. false after a success, any reply, or a report
 * that timed out while liftd still answered pings. Same thread rule as the client. */
bool lift_client_no_reply(const lift_client_t *self);

/* true when the client encrypts with CurveZMQ (keys were given to lift_client_new). */
bool lift_client_uses_curve(const lift_client_t *self);

/* Sends `req` (its request_id is replaced by a fresh one; `req` itself is not modified) and
 * waits for the reply with the same request_id, discarding others. On timeout the socket is
 * closed and the same bytes are resent to the next endpoint, up to the client's attempts but at
 * least once per endpoint; then LIFT_ERR_UNAVAILABLE "no reply from <every endpoint tried>
 * after N attempts of T ms".
 * Resending to another instance is safe for every request type, because each is stated to the
 * store as an idempotent fact:
 *   Ping, GetExperiment, ListExperiments, Report: read-only.
 *   Assign, AssignBatch: the first exposure is recorded once (first | existing); a resend after
 *     a lost reply gets the same arm, with first_exposure false (the exposure exists already).
 *   Track: events are stored once by event_id; a resend after a lost reply counts them as
 *     duplicates (a success), never twice.
 *   CreateExperiment: the same definition again answers OK with the stored experiment; a
 *     different definition under the key is ALREADY_EXISTS.
 *   ChangeExperiment: start of a running, pause of a paused, resume of a running, stop of a
 *     stopped experiment and a ramp to the coverage it has already answer OK unchanged; only an
 *     action that contradicts a change made since by someone else is refused
 *     (FAILED_PRECONDITION, e.g. start after another client paused it).
 * Returns LIFT_OK, the reply's status code when it is not OK, or a client-side error.
 * *reply_out (if reply_out is not NULL) receives every decoded reply, also non-OK ones, else
 * NULL; the caller frees it with lift_reply_free(). err (may be NULL) receives the message.
 * Same thread rule as the client. */
lift_err_t lift_call(lift_client_t *self, const Lift__Request *req, Lift__Reply **reply_out,
                     char *err, size_t errlen);

/* Frees a reply from lift_call(); accepts NULL and *reply_p == NULL; sets *reply_p = NULL. */
void lift_reply_free(Lift__Reply **reply_p);

/* Sends Ping. version (may be NULL) receives the server's version, now_ms (may be NULL) its
 * clock. Returns as lift_call(). */
lift_err_t lift_ping(lift_client_t *self, char *version, size_t versionlen, int64_t *now_ms);

/* What one Ping tells about the deployment. */
typedef struct {
    char version[64];  /* liftd's version ("" if not reported) */
    int64_t now_ms;    /* its clock, epoch ms (0 if not reported) */
    char currency[16]; /* ISO 4217 code of every amount (lift/currency.h gives its minor-unit
                          digits); "" from a liftd that does not report it */
} lift_server_info_t;

/* Sends Ping and fills *out (zeroed first). Returns as lift_call(); same thread rule. */
lift_err_t lift_server_info(lift_client_t *self, lift_server_info_t *out);

/* ---- Assignment ---------------------------------------------------------------------------- */

typedef struct {
    int trigger;              /* lift.Trigger value (lift_trigger_parse); required by liftd */
    int stage;                /* lift.Stage value; required by liftd */
    int channel;              /* lift.Channel value; required by liftd */
    int64_t trigger_time_ms;  /* when the trigger fired, epoch ms; 0 = decision time */
    bool open_support_ticket; /* suppression: an open support ticket */
    bool billing_dispute;     /* suppression: a billing dispute */
} lift_context_t;

typedef struct {
    const char *customer_id; /* as echoed by the server */
    bool in_experiment;      /* has an arm */
    bool eligible;           /* passed eligibility (may still be outside coverage) */
    int reason;              /* lift.Reason value; 0 (none) when eligible; a value this build
                              * does not know is kept as its number and means not eligible
                              * (lift_reason_name: "unknown") */
    int arm_index;           /* -1 when not in the experiment */
    const char *arm_name;    /* NULL when not in the experiment */
    const char *arm_payload; /* NULL when the arm has none */
    bool first_exposure;     /* this decision recorded the customer's exposure */
    int error_code;          /* LIFT_OK, or the code of a rejected customer id */
    const char *error;       /* NULL, or why the customer id was rejected */
    void *mem_;              /* private: owns the strings of a single lift_assign() result */
} lift_assignment_t;

/* Assigns one customer of experiment `key` in context ctx (Assign request). On LIFT_OK *out
 * holds the decision (a rejected customer id is LIFT_OK with out->error_code set); release it
 * with lift_assignment_clear(). On error *out is zeroed with arm_index -1 and nothing to free
 * (clearing is harmless). Same thread rule as the client. */
lift_err_t lift_assign(lift_client_t *self, const char *key, const char *customer_id,
                       const lift_context_t *ctx, lift_assignment_t *out);

/* Frees the strings of a lift_assign() result and zeroes it; accepts NULL. */
void lift_assignment_clear(lift_assignment_t *a);

/* Assigns n (1..LIFT_BATCH_MAX) customers with one AssignBatch request, in one context.
 * On LIFT_OK *out is an array of n results in the order of customer_ids (one allocation, strings
 * included) that the caller frees with lift_assignments_free(); on error *out = NULL.
 * n out of range: LIFT_ERR_INVALID_ARGUMENT without a request. Same thread rule as the client. */
lift_err_t lift_assign_batch(lift_client_t *self, const char *key, const char *const *customer_ids,
                             size_t n, const lift_context_t *ctx, lift_assignment_t **out);

/* Frees an array from lift_assign_batch() and sets *items_p to NULL; accepts NULL and
 * *items_p == NULL. */
void lift_assignments_free(lift_assignment_t **items_p);

/* ---- Events -------------------------------------------------------------------------------- */

typedef struct {
    const char *event_id;       /* 1..64 bytes, the idempotency key (required) */
    const char *customer_id;    /* required */
    int type;                   /* lift.EventType value (lift_event_type_parse) */
    int64_t timestamp_ms;       /* epoch ms */
    const char *experiment_key; /* impression/click: required; else NULL */
    bool has_arm;               /* arm is sent (impression, click) */
    int arm;                    /* the arm index of the experiment */
    bool has_amount;            /* amount_minor is sent (conversion, refund) */
    int64_t amount_minor;       /* amount in integer minor units */
    const char *currency;       /* ISO 4217; NULL = the deployment's */
    const char *plan_from;      /* conversion: NULL = not sent */
    const char *plan_to;        /* conversion: NULL = not sent */
    bool has_nps;               /* nps_score is sent (nps) */
    int nps_score;              /* nps: 0..10 */
} lift_event_t;

typedef struct {
    size_t index;         /* position in the batch */
    const char *event_id; /* as sent ("" when it had none) */
    const char *field;    /* the offending field ("" when none given) */
    const char *reason;   /* why ("" when none given) */
} lift_rejected_t;

typedef struct {
    uint32_t accepted;         /* newly stored */
    uint32_t duplicates;       /* stored earlier (a success for the sender) */
    uint32_t conflicts;        /* id stored earlier with other content: not stored, also in
                                  rejected (field "event_id") */
    size_t n_rejected;         /* entries in rejected */
    lift_rejected_t *rejected; /* NULL when none; owns its strings; lift_track_result_clear() */
} lift_track_result_t;

/* Sends n (1..LIFT_BATCH_MAX) events as one Track request and waits until it is acknowledged
 * (after the server committed it), resending on timeout (to the next endpoint), on
 * RESOURCE_EXHAUSTED (with a short back-off) and on UNAVAILABLE replies (to the next endpoint
 * when there are several, else after a back-off) until the client's attempts are spent — safe,
 * since liftd deduplicates by event_id. On LIFT_OK *out holds the per-event result (release with
 * lift_track_result_clear()); on error *out is zeroed. Same thread rule as the client. */
lift_err_t lift_track(lift_client_t *self, const lift_event_t *events, size_t n,
                      lift_track_result_t *out);

/* Frees the rejected list of a lift_track() result and zeroes it; accepts NULL. */
void lift_track_result_clear(lift_track_result_t *r);

/* Bytes that event adds to a Track request as lift_track() encodes it (its entry in the
 * events list: tag, length prefix and the encoded event), so that a sender can cut batches
 * that stay under LIFT_MAX_REQUEST_BYTES. Pure; any thread. */
size_t lift_event_wire_size(const lift_event_t *event);

/* ---- Experiments --------------------------------------------------------------------------- */

/* Experiment calls return LIFT_OK and, if out is not NULL, *out = the experiment as the server
 * holds it (NULL if the reply had none), freed by the caller with lift_experiment_free(). On
 * error *out = NULL. Inputs are not modified or taken. Same thread rule as the client. */

/* CreateExperiment: idempotent (same definition again is OK; a different one ALREADY_EXISTS). */
lift_err_t lift_experiment_create(lift_client_t *self, const Lift__Experiment *def,
                                  Lift__Experiment **out);

/* GetExperiment by key (NOT_FOUND when none). */
lift_err_t lift_experiment_get(lift_client_t *self, const char *key, Lift__Experiment **out);

/* ChangeExperiment: action is a lift.Action value; coverage is sent for LIFT__ACTION__ACTION_RAMP
 * only. */
lift_err_t lift_experiment_change(lift_client_t *self, const char *key, int action, double coverage,
                                  Lift__Experiment **out);

/* ListExperiments: status 0 = all, else a lift.ExperimentStatus value. *out (never NULL on
 * LIFT_OK; maybe empty) is freed with lift_experiment_list_free(). */
lift_err_t lift_experiment_list(lift_client_t *self, int status, Lift__ExperimentList **out);

/* Free results of the calls above; accept NULL and *p == NULL; set *p = NULL. */
void lift_experiment_free(Lift__Experiment **exp_p);
void lift_experiment_list_free(Lift__ExperimentList **list_p);

/* ---- Program holdouts ---------------------------------------------------------------------- */

/* IsHeldOut for one customer: should this customer get no upsell because program holdout
 * `holdout_key` holds them out? *held_out (may be NULL) is true when the customer is in the
 * held-out group and the holdout is running; *group (may be NULL) gets the lift.HoldoutGroup by
 * hash and exclusions alone (none, held out, measured, excluded). NOT_FOUND for an unknown
 * key; an invalid customer id is INVALID_ARGUMENT. Read-only; same thread rule as the client.
 * Holdouts are created, started, stopped and reported with lift_call() (CreateHoldout,
 * ChangeHoldout, GetHoldout, ListHoldouts) and lift_report() (ReportRequest.holdout_key). */
lift_err_t lift_is_held_out(lift_client_t *self, const char *holdout_key, const char *customer_id,
                            bool *held_out, int *group);

/* ---- Reports ------------------------------------------------------------------------------- */

/* Asks liftd for the incrementality report described by req (Report request; req is not
 * modified or taken). Each attempt first pings liftd with the client's own timeout and
 * attempts (failing over like any call): when no endpoint answers it fails as fast as
 * lift_ping() (the ping's "no reply" error, lift_client_no_reply() true). Once liftd answers,
 * the report may take long to compute, so the attempt waits at least LIFT_REPORT_TIMEOUT_MS
 * (longer if the client's timeout is longer); a timed-out attempt is pinged and resent (to the
 * next endpoint), up to the client's attempts (a report is read-only), then
 * LIFT_ERR_UNAVAILABLE "no report from ...". On LIFT_OK *out is the report, freed by the
 * caller with lift_report_free(); on error *out = NULL and lift_client_error() says why (e.g.
 * NOT_FOUND for an unknown experiment key). Same thread rule as the client. */
lift_err_t lift_report(lift_client_t *self, const Lift__ReportRequest *req, Lift__Report **out);

/* Frees a report from lift_report(); accepts NULL and *report_p == NULL; sets *report_p = NULL. */
void lift_report_free(Lift__Report **report_p);

#endif
