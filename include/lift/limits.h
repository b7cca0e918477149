/* Lift limits: the protocol's bounds, in one place for liftd (which enforces them) and its
 * clients (liftctl checks them before sending, so that one bad row or field is reported on its
 * own instead of making liftd drop a whole request). Numbers only: no types, no functions. */
#ifndef LIFT_LIMITS_H
#define LIFT_LIMITS_H

/* ---- Requests ------------------------------------------------------------------------------ */

/* Bytes in one request frame: liftd's ZMQ_MAXMSGSIZE. libzmq drops the connection of a peer
 * that sends a larger frame, so the client sees no reply at all: never send one. */
#define LIFT_MAX_REQUEST_BYTES (5 * 1024 * 1024)

/* Bytes of a frame a client keeps free for what surrounds the message it packs: the Request's
 * request_id and body tag, CurveZMQ's box (33 bytes a frame) and ZeroMQ framing. A client packs
 * at most LIFT_MAX_REQUEST_BYTES - LIFT_REQUEST_HEADROOM bytes of body. */
#define LIFT_REQUEST_HEADROOM 4096

#define LIFT_BATCH_MAX 10000 /* customers per AssignBatch, events per Track */

/* Requests of one connection whose replies liftd holds and has not yet handed to the connection
 * (being handled, waiting for a commit or a report, or queued because the connection reads its
 * replies slower than it sends). A request past it is answered RESOURCE_EXHAUSTED at once; no
 * reply is ever dropped. Announced in Pong.limits. */
#define LIFT_MAX_IN_FLIGHT 1024

#define LIFT_REPORTS_IN_FLIGHT 16 /* reports queued or running (all connections) */
#define LIFT_SEGMENT_BY_MAX 4     /* ReportRequest.segment_by entries */

/* One Event with every field at its bound, packed: event_id 64 + customer_id 128 +
 * experiment_key 64 + plan_from/plan_to 64 each + currency 3 bytes of text, plus tags, length
 * prefixes and seven 10-byte varints = 446 bytes, 449 with the event's own tag and length. So a
 * Track of LIFT_BATCH_MAX valid events is 4,490,000 bytes, below LIFT_MAX_REQUEST_BYTES (an
 * AssignBatch of 10,000 128-byte ids is 1.31 MB, a CreateExperiment at its bounds about 90 KB). */
#define LIFT_EVENT_MAX_BYTES 449

/* ---- Events and assignment (bytes of UTF-8 unless said otherwise) -------------------------- */

#define LIFT_CUSTOMER_ID_MAX 128          /* customer id, 1..128 bytes */
#define LIFT_EVENT_ID_MAX 64              /* event id, 1..64 bytes: the idempotency key */
#define LIFT_PLAN_MAX 64                  /* plan_from, plan_to */
#define LIFT_CURRENCY_CODE_MAX 3          /* an ISO 4217 alphabetic code */
#define LIFT_AMOUNT_MAX 100000000000LL    /* largest amount_minor (1e11 minor units) */
#define LIFT_NPS_MAX 10                   /* nps_score is 0..10 */
#define LIFT_TIME_MIN_MS 946684800000LL   /* 2000-01-01T00:00:00Z: earliest event or date */
#define LIFT_TIME_MAX_MS 32503680000000LL /* 3000-01-01T00:00:00Z: dates are before it */

/* ---- Experiments --------------------------------------------------------------------------- */

#define LIFT_KEY_MAX 64          /* experiment key, [a-z0-9-_.]{1,64} */
#define LIFT_ARMS_MIN 2          /* arms per experiment: the holdout and at least one more */
#define LIFT_ARMS_MAX 20         /* arms per experiment */
#define LIFT_WEIGHT_SUM_EPS 1e-9 /* arm weights sum to 1 within this */
#define LIFT_ARM_NAME_MAX 64     /* arm name, [A-Za-z0-9 _.-]{1,64} */
#define LIFT_NAME_MAX 200        /* experiment name, owner */
#define LIFT_TEXT_MAX 4096       /* hypothesis, arm payload */
#define LIFT_SEED_MAX 128        /* hash seed */
#define LIFT_NAMESPACE_ID_MAX 64 /* namespace id */

/* ---- Program holdouts ---------------------------------------------------------------------- */

#define LIFT_HOLDOUT_PERCENT_MAX 50.0 /* held-out share, percent: (0, 50] */
#define LIFT_HOLDOUTS_MAX 64          /* holdouts a deployment may define */

#endif
