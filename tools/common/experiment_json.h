/* experiment_json: converts a JSON object mirroring lift.Experiment (lower-case enum names) into a
 * heap Lift__Experiment, for liftctl's `experiment create` and liftsim's config experiments.
 * It checks types, field names and the protocol's bounds (lift/limits.h: text lengths, arm count,
 * the time range) so that nothing liftd must refuse is sent; liftd validates the whole
 * definition. */
#ifndef LIFT_EXPERIMENT_JSON_H
#define LIFT_EXPERIMENT_JSON_H

#include <jansson.h>
#include <stdint.h>

#include "lift.pb-c.h"
#include "lift/limits.h"

typedef struct {
    const char *prog;  /* message prefix: "liftctl", "liftsim" */
    const char *src;   /* where the document came from: a file name, or "flags" */
    const char *path;  /* the object's path inside src ("" at the top, "experiments[0]") */
    int comments;      /* 1: accept and skip "_comment" keys at any level */
    int server_fields; /* 1: accept and ignore server-set fields (`experiment show --json`) */
    /* Parses a time string (epoch ms or ISO-8601 UTC), printing its own message naming flag on
     * failure; NULL: times must be integers (epoch ms). */
    int (*parse_time)(const char *flag, const char *s, int64_t *out_ms);
} experiment_json_opts_t;

/* Builds a heap Lift__Experiment from obj; the caller frees it with
 * lift__experiment__free_unpacked(e, NULL). On bad input prints one message to stderr naming the
 * JSON path, the value and the bound it broke ("prog: src: arms[1].weight: must be a number,
 * not a string"; "prog: src: hypothesis: 9437184 bytes, more than the limit of 4096 bytes";
 * times also as ISO-8601 UTC), and returns NULL. Does not require key or arms (callers decide).
 * Any thread; no state. */
Lift__Experiment *experiment_json_parse(const json_t *obj, const experiment_json_opts_t *opts);

#endif
