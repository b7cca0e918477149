/* load: liftsim's load mode — K client threads sending Assign and Track traffic to liftd at a
 * target rate for a duration, then throughput and latency percentiles. It checks no answer
 * against a model and computes no truth (model.h does). */
#ifndef LIFTSIM_LOAD_H
#define LIFTSIM_LOAD_H

#include "config.h"
#include "opts.h"

/* Runs the load described by o (clients, rate, duration, seed, customers) against the first
 * experiment of cfg and prints the result (o->json: as JSON) to stdout. Returns the exit
 * status: 0, or 1 when any request failed or a thread did not start. */
int load_run(const opts_t *o, const config_t *cfg);

#endif
