/* liftctl keygen: makes a CurveZMQ key pair for liftd (--curve-secret) or for a client (--key).
 * Writes the key file (mode 0600, never over an existing file unless --force) and prints the
 * public key, which is what the other side needs. Talks to no server. */
#include <jansson.h>
#include <stdio.h>
#include <string.h>

#include "auth.h"
#include "liftctl.h"

static void keygen_usage(void)
{
    printf("usage: liftctl keygen [-o FILE] [--force]\n"
           "\n"
           "Makes a CurveZMQ key pair. With -o, writes it to FILE (mode 0600, created only if it\n"
           "does not exist unless --force) and prints the public key; without -o, prints the whole\n"
           "key file (secret included) to stdout.\n"
           "\n"
           "  -o, --output FILE  where to write the key file\n"
           "  --force            replace an existing FILE\n"
           "\n"
           "Deploy: the server's file goes to liftd --curve-secret; its public key to clients\n"
           "(--server-key or LIFT_SERVER_KEY). A client's file goes to liftctl --key (LIFT_KEY); its\n"
           "public key into liftd's authorized-keys file as '<key> <admin|sender|reader> [comment]'.\n");
}

int cmd_keygen(const liftctl_opts_t *opts, int argc, char **argv)
{
    liftctl_opts_t o = *opts;
    const char *out = NULL, *v;
    int force = 0, r;
    for (int i = 1; i < argc; i++) {
        if (liftctl_is_help(argv[i])) {
            keygen_usage();
            return LIFTCTL_OK;
        }
        if (strcmp(argv[i], "--force") == 0) {
            force = 1;
            continue;
        }
        if ((r = liftctl_flag(argc, argv, &i, "-o", &v)) != 0 ||
            (r = liftctl_flag(argc, argv, &i, "--output", &v)) != 0) {
            if (r < 0) return LIFTCTL_USAGE;
            if (!*v) return liftctl_usage_error("keygen", "keygen: -o: empty file name");
            out = v;
            continue;
        }
        int g = liftctl_global_flag(&o, argc, argv, &i);
        if (g < 0) return LIFTCTL_USAGE;
        if (g == 0) return liftctl_usage_error("keygen", "keygen: unexpected argument '%s'", argv[i]);
    }
    if (force && !out) return liftctl_usage_error("keygen", "keygen: --force needs -o FILE");

    auth_keypair_t kp;
    char err[512];
    if (auth_keypair_new(&kp, err, sizeof err) < 0) {
        fprintf(stderr, "liftctl: keygen: %s\n", err);
        return LIFTCTL_ERR;
    }
    int rc = LIFTCTL_OK;
    if (out) {
        if (auth_keyfile_write(out, &kp, force, err, sizeof err) < 0) {
            fprintf(stderr, "liftctl: keygen: %s\n", err);
            rc = LIFTCTL_ERR;
        } else if (o.json) {
            json_t *j = json_pack("{s:s,s:s}", "file", out, "public_key", kp.public_z85);
            json_dumpf(j, stdout, JSON_PRESERVE_ORDER);
            fputc('\n', stdout);
            json_decref(j);
        } else {
            printf("%s\n", kp.public_z85);
            fprintf(stderr, "liftctl: wrote %s (mode 0600); its public key is above\n", out);
        }
    } else {
        char text[512];
        if (auth_keyfile_format(&kp, text, sizeof text) < 0) {
            fprintf(stderr, "liftctl: keygen: key file text too long\n");
            rc = LIFTCTL_ERR;
        } else {
            fputs(text, stdout);
        }
        explicit_bzero(text, sizeof text);
    }
    explicit_bzero(&kp, sizeof kp);
    return rc;
}
