/* opts: liftsim's command line — the options of a simulation or a load run, parsed and checked
 * against their bounds. It reads no file and talks to no liftd. */
#ifndef LIFTSIM_OPTS_H
#define LIFTSIM_OPTS_H

typedef struct {
    const char *endpoint; /* liftd endpoint */
    const char *config;   /* config file */
    const char *truth;    /* --truth FILE or NULL */
    unsigned long seed;   /* --seed */
    int weeks;            /* --weeks */
    long customers;       /* --customers */
    int json;             /* --json */
    int quiet;            /* --quiet */
    int load;             /* load mode (--rate, --clients or --duration given) */
    double rate;          /* --rate: requests/s, 0 = unpaced */
    int clients;          /* --clients: sender threads */
    double duration;      /* --duration: seconds of load */
    int local;            /* --local: decisions in this process (lift/local.h) */
} opts_t;

/* Fills o from argv (defaults: LIFT_ENDPOINT or LIFT_DEFAULT_ENDPOINT, examples/sim.json,
 * seed 1, 6 weeks, 50,000 customers). Returns 0 to run, 1 after printing --help to stdout, 2 on
 * a bad command line (the reason printed to stderr). The strings in o point into argv or the
 * environment. */
int opts_parse(int argc, char **argv, opts_t *o);

#endif
