/* liftd: the Lift service. Parses flags, installs SIGINT/SIGTERM (stop) and SIGHUP (reload the
 * authorized keys) handlers and runs the server loop; everything else lives in server.c and
 * below. */
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lift/lift.h"
#include "lift/stats.h"
#include "log.h"
#include "server.h"
#include "store_copy.h"

static volatile sig_atomic_t stop_flag;   /* set by SIGINT/SIGTERM: finish the batch, exit */
static volatile sig_atomic_t reload_flag; /* set by SIGHUP: re-read the authorized keys */

static void on_signal(int sig)
{
    if (sig == SIGHUP)
        reload_flag = 1;
    else
        stop_flag = 1;
}

static void usage(FILE *out)
{
    fprintf(
        out,
        "usage: liftd [--endpoint E] [--store URI | --data DIR] [--log-level L] [--currency C]\n"
        "             [--clock-skew S]\n"
        "             [--curve-secret FILE --authorized-keys FILE | --insecure]\n"
        "             [--max-store-mb N]\n"
        "       liftd copy SRC DST [--batch N] [--json]   (copy a store; liftd copy --help)\n"
        "\n"
        "Lift: assigns customers to upsell experiments (GrowthBook-compatible hashing),\n"
        "records exposures and events durably, and reports incremental revenue.\n"
        "\n"
        "  --endpoint E     ZeroMQ endpoint to bind (default %s; ipc://PATH works too)\n"
        "  --store URI      where everything is stored (also env LIFT_STORE):\n"
        "                     sqlite:DIR   embedded SQLite in DIR, created if missing; one\n"
        "                                  liftd per directory (the default, sqlite:./lift-data)\n"
        "                     postgresql://USER@HOST/DB?...  (or postgres://) a PostgreSQL\n"
        "                                  database that several liftd may share (libpq URI)\n"
        "  --data DIR       the same as --store sqlite:DIR\n"
        "  --log-level L    error, warn, info (default) or debug; logs go to stderr\n"
        "  --currency C     ISO 4217 code of every amount (default USD; fixed per store);\n"
        "                   amounts are in its minor units (JPY 0 decimals, USD 2, KWD 3)\n"
        "  --clock-skew S   reject events more than S seconds in the future (default 86400)\n"
        "  --curve-secret FILE     the server's key pair (liftctl keygen -o FILE; mode 0600):\n"
        "                   encrypt with CurveZMQ and admit only authorized keys\n"
        "  --authorized-keys FILE  one '<z85 public key> <role> [comment]' per line, role\n"
        "                   admin, sender or reader; re-read on SIGHUP (mode 0600)\n"
        "  --insecure       without keys, allow an endpoint other hosts can reach (without\n"
        "                   keys liftd otherwise binds only loopback, ipc:// or inproc://)\n"
        "  --max-store-mb N storage quota in MiB (1..16777216; SQLite stores): past it writes\n"
        "                   get UNAVAILABLE, reads go on; restart with a larger N to resume\n"
        "  --help           this text\n"
        "  --version        print the version\n",
        LIFT_DEFAULT_ENDPOINT);
}

/* A number in lo..hi from a flag's value: 0 with *v set, -1 when it is not one. */
static int parse_range(const char *arg, long long lo, long long hi, long long *v)
{
    char *end;
    errno = 0;
    *v = strtoll(arg, &end, 10);
    return errno || end == arg || *end || *v < lo || *v > hi ? -1 : 0;
}

/* Where the flags put the store (--store and --data name it; LIFT_STORE, then
 * sqlite:./lift-data when neither does). */
typedef struct {
    const char *data_dir;  /* --data DIR */
    const char *store_uri; /* --store URI */
    char data_uri[4200];   /* sqlite:DIR built from data_dir */
} store_flags_t;

/* Takes the value v of option --name into *dst. Returns -1 when it was taken, or 2 (the exit
 * status) with a message when v is empty. */
static int take_nonempty(const char *name, const char *v, const char **dst)
{
    if (!*v) {
        fprintf(stderr, "liftd: --%s: empty value\n", name);
        return 2;
    }
    *dst = v;
    return -1;
}

/* Apply one option c (its value in optarg) to cfg and sf. Returns -1 when it was taken, else
 * the exit status main returns at once (0 after --help or --version, 2 on a bad value). */
static int apply_option(int c, char **argv, server_config_t *cfg, store_flags_t *sf)
{
    long long v;
    switch (c) {
    case 'e':
        return take_nonempty("endpoint", optarg, &cfg->endpoint);
    case 'd':
        return take_nonempty("data", optarg, &sf->data_dir);
    case 'S':
        return take_nonempty("store", optarg, &sf->store_uri);
    case 'l':
        if (log_level_parse(optarg, &cfg->log_level) < 0) {
            fprintf(stderr, "liftd: --log-level: '%s' is not one of error, warn, info, debug\n",
                    optarg);
            return 2;
        }
        return -1;
    case 'c':
        cfg->currency = optarg;
        return -1;
    case 's':
        if (parse_range(optarg, 0, 30LL * 86400, &v) < 0) {
            fprintf(stderr,
                    "liftd: --clock-skew: '%s' is not a number of seconds in "
                    "0..2592000\n",
                    optarg);
            return 2;
        }
        cfg->clock_skew_ms = v * 1000;
        return -1;
    case 'k':
        return take_nonempty("curve-secret", optarg, &cfg->curve_secret);
    case 'a':
        return take_nonempty("authorized-keys", optarg, &cfg->authorized_keys);
    case 'i':
        cfg->insecure = 1;
        return -1;
    case 'm':
        if (parse_range(optarg, 1, 16777216LL, &v) < 0) {
            fprintf(stderr,
                    "liftd: --max-store-mb: '%s' is not a number of MiB in "
                    "1..16777216\n",
                    optarg);
            return 2;
        }
        cfg->max_store_bytes = v * 1024 * 1024;
        return -1;
    case 'h':
        usage(stdout);
        return 0;
    case 'V':
        printf("liftd %s\n", LIFT_VERSION);
        return 0;
    default:
        if (optopt)
            fprintf(stderr, "liftd: option -%c needs a value or is unknown\n", optopt);
        else
            fprintf(stderr, "liftd: unknown option '%s'\n", argv[optind - 1]);
        usage(stderr);
        return 2;
    }
}

/* The flags taken together: where the store is, and the key flags that go in pairs. Returns
 * 0, or 2 (the exit status) with a message. */
static int check_flags(server_config_t *cfg, store_flags_t *sf)
{
    if (sf->data_dir && sf->store_uri) {
        fprintf(stderr,
                "liftd: --data %s and --store %s both name the store; give one (--data "
                "DIR is --store sqlite:DIR)\n",
                sf->data_dir, sf->store_uri);
        return 2;
    }
    if (sf->data_dir) {
        if ((size_t)snprintf(sf->data_uri, sizeof sf->data_uri, "sqlite:%s", sf->data_dir) >=
            sizeof sf->data_uri) {
            fprintf(stderr, "liftd: --data: path of %zu bytes is too long\n", strlen(sf->data_dir));
            return 2;
        }
        sf->store_uri = sf->data_uri;
    }
    if (!sf->store_uri) {
        const char *env = getenv("LIFT_STORE");
        sf->store_uri = env && *env ? env : "sqlite:./lift-data";
    }
    cfg->store = sf->store_uri;
    if ((cfg->curve_secret == NULL) != (cfg->authorized_keys == NULL)) {
        fprintf(stderr, "liftd: --curve-secret and --authorized-keys go together (the key pair "
                        "encrypts, the list says who may connect)\n");
        return 2;
    }
    if (cfg->curve_secret && cfg->insecure) {
        fprintf(stderr, "liftd: --insecure makes no sense with --curve-secret\n");
        return 2;
    }
    return 0;
}

int main(int argc, char **argv)
{
    if (argc > 1 && strcmp(argv[1], "copy") == 0) /* a command of its own: store_copy.h */
        return store_copy_main(argc - 1, argv + 1);
    server_config_t cfg = {
        .endpoint = LIFT_DEFAULT_ENDPOINT,
        .store = NULL,
        .log_level = LOG_LEVEL_INFO,
        .currency = "USD",
        .clock_skew_ms = 24LL * 3600 * 1000,
    };
    static const struct option longopts[] = {{"endpoint", required_argument, NULL, 'e'},
                                             {"data", required_argument, NULL, 'd'},
                                             {"store", required_argument, NULL, 'S'},
                                             {"log-level", required_argument, NULL, 'l'},
                                             {"help", no_argument, NULL, 'h'},
                                             {"currency", required_argument, NULL, 'c'},
                                             {"clock-skew", required_argument, NULL, 's'},
                                             {"version", no_argument, NULL, 'V'},
                                             {"curve-secret", required_argument, NULL, 'k'},
                                             {"authorized-keys", required_argument, NULL, 'a'},
                                             {"insecure", no_argument, NULL, 'i'},
                                             {"max-store-mb", required_argument, NULL, 'm'},
                                             {NULL, 0, NULL, 0}};
    static store_flags_t sf; /* static: data_uri is 4 KiB */
    int c, rc;
    opterr = 0;
    while ((c = getopt_long(argc, argv, "", longopts, NULL)) != -1)
        if ((rc = apply_option(c, argv, &cfg, &sf)) >= 0)
            return rc;
    if (optind < argc) {
        fprintf(stderr, "liftd: unexpected argument '%s'\n", argv[optind]);
        usage(stderr);
        return 2;
    }
    if ((rc = check_flags(&cfg, &sf)) != 0)
        return rc;

    lift_stats_init();
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_signal;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGHUP, &sa, NULL);
    signal(SIGPIPE, SIG_IGN);

    char err[512];
    server_t *server = server_new(&cfg, err, sizeof err);
    if (!server) {
        log_emit(cfg.log_level, LOG_LEVEL_ERROR, "start_failed", "reason=\"%s\"", err);
        return 1;
    }
    rc = server_run(server, &stop_flag, &reload_flag);
    server_destroy(&server);
    log_emit(cfg.log_level, LOG_LEVEL_INFO, "stopped", "exit=%d", rc == 0 ? 0 : 1);
    return rc == 0 ? 0 : 1;
}
