/* liftctl: the command-line client of liftd: its usage, the global flags before the command
 * and the dispatch to the sub-commands (cmd_<name>.c, declared in cmd.h); the helpers they
 * share are util.c and out.c. It talks to liftd only through the client library. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cmd.h"
#include "lift/lift.h"
#include "out.h"

static void usage(FILE *out)
{
    fprintf(
        out,
        "usage: liftctl [--endpoint E] [--json] [--timeout MS] [--retries N]\n"
        "               [--server-key KEY|FILE --key FILE] <command> ...\n"
        "\n"
        "Lift command-line client: register and run upsell experiments, assign customers.\n"
        "\n"
        "commands:\n"
        "  experiment create|list|show|start|pause|resume|stop|ramp   manage experiments\n"
        "  holdout create|list|show|start|stop|check                   program holdouts\n"
        "  assign EXPERIMENT --customer ID | --customers FILE          assign customers\n"
        "  bucket --seed S --weights W,... [--coverage C]              arms offline (stdin)\n"
        "  power ...                                                   size an experiment\n"
        "  track FILE [--format jsonl|csv] [--rejects FILE]            import events\n"
        "  report EXPERIMENT | --all-running [--week W] [--format F]   incrementality report\n"
        "  ping                                                        check the server\n"
        "  keygen [-o FILE] [--force]                                  make a CurveZMQ key pair\n"
        "\n"
        "global flags (also accepted after the command):\n"
        "  --endpoint E    liftd endpoint, or several of one deployment separated by commas\n"
        "                  (tcp://a:5555,tcp://b:5555): a request that times out is resent\n"
        "                  to the next one (env LIFT_ENDPOINT; default %s)\n"
        "  --json          machine-readable JSON output\n"
        "  --timeout MS    per-attempt timeout, 1..3600000 (default %d)\n"
        "  --server-key K  the server's public key: 40 Z85 characters or a file holding it\n"
        "                  (env LIFT_SERVER_KEY); encrypts with CurveZMQ\n"
        "  --key FILE      this client's key file from `liftctl keygen` (env LIFT_KEY);\n"
        "                  its public key must be in liftd's authorized-keys file. Before\n"
        "                  the command only (after it: --key-file FILE)\n"
        "  --retries N     attempts per request, 1..100 (default %d); retries are safe:\n"
        "                  every Lift write is idempotent\n"
        "  --help, -h      this help; `liftctl <command> --help` for a command\n"
        "  --version       print the version\n"
        "\n"
        "exit status: 0 ok, 1 server or validation error, 2 usage error\n",
        LIFT_DEFAULT_ENDPOINT, LIFT_CLIENT_TIMEOUT_MS, LIFT_CLIENT_ATTEMPTS);
}

static int dispatch(liftctl_opts_t *opts, int argc, char **argv)
{
    int i = 1;
    for (; i < argc && argv[i][0] == '-'; i++) {
        if (liftctl_is_help(argv[i])) {
            usage(stdout);
            return LIFTCTL_OK;
        }
        if (strcmp(argv[i], "--version") == 0 || strcmp(argv[i], "-V") == 0) {
            printf("liftctl %s\n", LIFT_VERSION);
            return LIFTCTL_OK;
        }
        const char *v;
        int g = liftctl_flag(argc, argv, &i, "--key", &v);
        if (g > 0)
            opts->key_file = v;
        if (g == 0)
            g = liftctl_global_flag(opts, argc, argv, &i);
        if (g < 0)
            return LIFTCTL_USAGE;
        if (g == 0)
            return liftctl_usage_error(NULL, "unknown flag '%s'", argv[i]);
    }
    if (i >= argc) {
        usage(stderr);
        return LIFTCTL_USAGE;
    }
    const char *cmd = argv[i];
    int sub_argc = argc - i;
    char **sub_argv = argv + i;
    if (strcmp(cmd, "experiment") == 0 || strcmp(cmd, "exp") == 0)
        return cmd_experiment(opts, sub_argc, sub_argv);
    if (strcmp(cmd, "assign") == 0)
        return cmd_assign(opts, sub_argc, sub_argv);
    if (strcmp(cmd, "holdout") == 0)
        return cmd_holdout(opts, sub_argc, sub_argv);
    if (strcmp(cmd, "bucket") == 0)
        return cmd_bucket(opts, sub_argc, sub_argv);
    if (strcmp(cmd, "power") == 0)
        return cmd_power(opts, sub_argc, sub_argv);
    if (strcmp(cmd, "track") == 0)
        return cmd_track(opts, sub_argc, sub_argv);
    if (strcmp(cmd, "report") == 0)
        return cmd_report(opts, sub_argc, sub_argv);
    if (strcmp(cmd, "ping") == 0)
        return cmd_ping(opts, sub_argc, sub_argv);
    if (strcmp(cmd, "keygen") == 0)
        return cmd_keygen(opts, sub_argc, sub_argv);
    if (strcmp(cmd, "help") == 0) {
        usage(stdout);
        return LIFTCTL_OK;
    }
    if (strcmp(cmd, "store") == 0) /* the store belongs to liftd: liftctl only talks to it */
        return liftctl_usage_error(NULL, "unknown command 'store' (copying stores is `liftd copy "
                                         "SRC DST`)");
    return liftctl_usage_error(NULL,
                               "unknown command '%s' (experiment, holdout, assign, bucket, "
                               "power, track, report, ping, keygen)",
                               cmd);
}

int main(int argc, char **argv)
{
    const char *env = getenv("LIFT_ENDPOINT");
    liftctl_opts_t opts = {.endpoint = env && *env ? env : LIFT_DEFAULT_ENDPOINT,
                           .endpoint_src = env && *env ? "LIFT_ENDPOINT" : "--endpoint",
                           .timeout_ms = LIFT_CLIENT_TIMEOUT_MS,
                           .retries = LIFT_CLIENT_ATTEMPTS,
                           .server_key = getenv("LIFT_SERVER_KEY"),
                           .key_file = getenv("LIFT_KEY")};
    /* Every command prints through stdout; a write error there (a full disk, /dev/full, a
     * closed terminal) must not end in exit 0. Standard output goes through a stream that keeps
     * the first error's errno, checked once here after the command. */
    liftctl_out_t so = {.flag = "stdout", .fd = STDOUT_FILENO};
    FILE *wrapped = liftctl_out_stream(&so);
    FILE *real = stdout;
    if (wrapped)
        stdout = wrapped;
    int rc = dispatch(&opts, argc, argv);
    int e = 0;
    if (fflush(stdout) != 0 || ferror(stdout))
        e = so.err ? so.err : errno ? errno : EIO;
    if (wrapped) {
        if (fclose(wrapped) != 0 && !e)
            e = so.err ? so.err : EIO; /* closes fd 1: NFS errors */
        stdout = real;
    }
    if (e) {
        fprintf(stderr, "liftctl: cannot write output: %s\n", strerror(e));
        if (rc == LIFTCTL_OK)
            rc = LIFTCTL_ERR;
    }
    return rc;
}
