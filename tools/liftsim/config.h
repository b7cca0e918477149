/* config: liftsim's model and experiments, loaded from a JSON file (examples/sim.json) and
 * checked field by field; an error names the file, the dotted path of the field and the bound
 * it broke. It draws nothing and talks to no liftd: the numbers are the model's (model.h). */
#ifndef LIFTSIM_CONFIG_H
#define LIFTSIM_CONFIG_H

#include <stdint.h>

#include "experiment_json.h"
#include "lift.pb-c.h"

#define CONFIG_N_ENUM 6               /* trigger / stage / channel values 1..5 (0 = unspecified) */
#define CONFIG_MAX_PLANS 8            /* plans in the config */
#define CONFIG_MAX_EXP 8              /* experiments in the config */
#define CONFIG_MAX_ARMS LIFT_ARMS_MAX /* arms per experiment (proto bound) */
#define CONFIG_MAX_RULES 64           /* effect rules */

typedef struct {
    double share;               /* initial stage mix */
    double trigger_rate;        /* triggers per customer-week (at most one a day) */
    double in_market;           /* base chance of an upgrade after a trigger */
    double organic_weekly;      /* upgrade hazard outside triggers */
    double churn_weekly;        /* churn hazard */
    double nps_mean;            /* mean NPS answer */
    double next[CONFIG_N_ENUM]; /* weekly chance to move to each stage */
} config_stage_t;

typedef struct {
    int exp;                     /* experiment index, -1 = any */
    char arm[65];                /* arm name, "" = any */
    int arm_idx[CONFIG_MAX_EXP]; /* the arm's index in each experiment: -1 any, -2 not there */
    int trigger, stage, channel; /* 0 = any */
    double upgrade_lift;         /* e: relative change of a clicker's upgrade chance */
    double churn_add;            /* extra churn chance after an impression */
    double nps_shift;            /* added to later NPS answers */
} config_rule_t;

typedef struct {
    char plan_name[CONFIG_MAX_PLANS][33]; /* plan names, cheapest first */
    int64_t plan_price[CONFIG_MAX_PLANS]; /* monthly price, minor units */
    double plan_share[CONFIG_MAX_PLANS];  /* initial plan mix */
    int n_plans;                          /* plans */
    config_stage_t stage[CONFIG_N_ENUM];  /* by lift.Stage value */
    double trig_share[CONFIG_N_ENUM];     /* trigger mix */
    double trig_prop[CONFIG_N_ENUM];      /* trigger propensity multiplier */
    double chan_share[CONFIG_N_ENUM];     /* channel mix */
    double chan_delivery[CONFIG_N_ENUM];  /* P(impression | offer sent) */
    double chan_ctr[CONFIG_N_ENUM];       /* P(click | impression) */
    double delay_lo[CONFIG_MAX_EXP][CONFIG_MAX_ARMS],
        delay_hi[CONFIG_MAX_EXP][CONFIG_MAX_ARMS]; /* offer delay, minutes */
    double refund_share;                           /* share of upgrades refunded */
    double refund_lo, refund_hi;                   /* refund delay, days */
    double nps_weekly;                             /* NPS answers per customer-week */
    double ticket, dispute;                        /* suppression flag rates per trigger */
    double prop_shape;                             /* gamma shape of the customer propensity */
    double organic_delay_days;                     /* mean trigger -> organic upgrade delay */
    int history_days;                              /* days simulated before the experiment start */
    config_rule_t rules[CONFIG_MAX_RULES];         /* effect rules, first match wins */
    int n_rules;                                   /* rules */
    Lift__Experiment *exp[CONFIG_MAX_EXP]; /* experiment definitions (heap, free_unpacked) */
    int n_exp;                             /* experiments */
    /* program_holdout (optional): a program holdout linked to every experiment, and the
     * program's long-run dynamics */
    int prog;            /* configured */
    char prog_key[65];   /* holdout key */
    double prog_percent; /* held-out share, percent (0, 50] */
    double prog_decay;   /* offer lift multiplied by this per week of the period */
    double prog_pull;    /* share of clickers who would upgrade anyway and upgrade
                                       right after the click instead (pull-forward) */
} config_t;

/* Reads and checks the config file into *c (overwritten). Returns 0, or -1 after printing the
 * error to stderr (c then holds nothing to free). The caller frees a loaded config with
 * config_clear(). */
int config_load(const char *file, config_t *c);

/* Frees the experiment definitions of c (c itself is the caller's); harmless twice. */
void config_clear(config_t *c);

/* The first effect rule matching experiment e, arm, trigger, stage and channel, or NULL. */
const config_rule_t *config_rule_match(const config_t *c, int e, int arm, int trig, int stage,
                                       int chan);

#endif
