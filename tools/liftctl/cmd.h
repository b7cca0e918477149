/* cmd: the entry points of liftctl's sub-commands, one per tools/liftctl/cmd_<name>.c,
 * dispatched by liftctl.c's main. The helpers they share are util.h and out.h; none of them
 * speaks ZeroMQ directly: they go through include/lift/client.h. */
#ifndef LIFTCTL_CMD_H
#define LIFTCTL_CMD_H

#include "util.h"

/* argv[0] is the sub-command's name; each returns one of util.h's exit codes. */
int cmd_experiment(const liftctl_opts_t *opts, int argc, char **argv);
int cmd_assign(const liftctl_opts_t *opts, int argc, char **argv);
int cmd_bucket(const liftctl_opts_t *opts, int argc, char **argv);
int cmd_power(const liftctl_opts_t *opts, int argc, char **argv);
int cmd_track(const liftctl_opts_t *opts, int argc, char **argv);
int cmd_report(const liftctl_opts_t *opts, int argc, char **argv);
int cmd_keygen(const liftctl_opts_t *opts, int argc, char **argv);
int cmd_holdout(const liftctl_opts_t *opts, int argc, char **argv);
int cmd_ping(const liftctl_opts_t *opts, int argc, char **argv);

#endif
