/* liftctl keygen: makes a CurveZMQ key pair for liftd (--curve-secret) or for a client (--key).
 * Writes the key file (mode 0600, never over an existing file unless --force) and prints the
 * public key, which is what the other side needs. Talks to no server. */
#include <errno.h>
#include <jansson.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "lift/keys.h"
#include "cmd.h"
#include "out.h"

static void keygen_usage(void)
{
    printf(
        "usage: liftctl keygen [-o FILE] [--force]\n"
        "\n"
        "Makes a CurveZMQ key pair. With -o, writes it to FILE (mode 0600, created only if it\n"
        "does not exist unless --force) and prints the public key; without -o, prints the whole\n"
        "key file (secret included) to stdout. A new or replaced FILE appears whole (a\n"
        "temporary file, then rename); a FIFO or device is written in place; a directory or a\n"
        "symbolic link to a file is refused. A write error exits 1: the key was not saved.\n"
        "\n"
        "  -o, --output FILE  where to write the key file\n"
        "  --force            replace an existing regular FILE\n"
        "\n"
        "Deploy: the server's file goes to liftd --curve-secret; its public key to clients\n"
        "(--server-key or LIFT_SERVER_KEY). A client's file goes to liftctl --key (LIFT_KEY); its\n"
        "public key into liftd's authorized-keys file as '<key> <admin|sender|reader> "
        "[comment]'.\n");
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
            if (r < 0)
                return LIFTCTL_USAGE;
            if (!*v)
                return liftctl_usage_error("keygen", "keygen: -o: empty file name");
            out = v;
            continue;
        }
        int g = liftctl_global_flag(&o, argc, argv, &i);
        if (g < 0)
            return LIFTCTL_USAGE;
        if (g == 0)
            return liftctl_usage_error("keygen", "keygen: unexpected argument '%s'", argv[i]);
    }
    if (force && !out)
        return liftctl_usage_error("keygen", "keygen: --force needs -o FILE");

    lift_keypair_t kp;
    char err[512], text[512];
    if (lift_keypair_new(&kp, err, sizeof err) < 0) {
        fprintf(stderr, "liftctl: keygen: %s\n", err);
        return LIFTCTL_ERR;
    }
    int rc = LIFTCTL_OK, n = lift_keyfile_format(&kp, text, sizeof text);
    if (n < 0) {
        fprintf(stderr, "liftctl: keygen: key file text too long\n");
        rc = LIFTCTL_ERR;
    } else if (out) {
        /* unbuffered: the secret goes straight to the file, never into a stdio buffer */
        liftctl_out_t f;
        int in_place = 0, flags = LIFTCTL_OUT_SECRET | (force ? 0 : LIFTCTL_OUT_NOREPLACE);
        if (liftctl_out_open(&f, "keygen: -o", out, flags) != 0) {
            rc = LIFTCTL_ERR;
        } else {
            in_place = f.tmp[0] == '\0';
            int ok = fwrite(text, 1, (size_t)n, f.f) == (size_t)n;
            if (liftctl_out_close(&f, ok) != 0) {
                fprintf(stderr, "liftctl: keygen: no key was saved\n");
                rc = LIFTCTL_ERR;
            }
        }
        if (rc == LIFTCTL_OK && o.json) {
            json_t *j = json_pack("{s:s,s:s}", "file", out, "public_key", kp.public_z85);
            json_dumpf(j, stdout, JSON_PRESERVE_ORDER);
            fputc('\n', stdout);
            json_decref(j);
        } else if (rc == LIFTCTL_OK) {
            printf("%s\n", kp.public_z85);
            fprintf(stderr, "liftctl: wrote %s%s; its public key is above\n", out,
                    in_place ? "" : " (mode 0600)");
        }
    } else if (fflush(stdout) != 0 || liftctl_write_all(STDOUT_FILENO, text, (size_t)n) != 0) {
        /* straight to the descriptor: no copy of the secret in stdout's buffer, and a write
         * error is known here, before anyone relies on the key */
        fprintf(stderr,
                "liftctl: keygen: cannot write the key file to standard output: %s; the key "
                "pair is lost (nothing was saved): run keygen again\n",
                strerror(errno));
        rc = LIFTCTL_ERR;
    }
    explicit_bzero(text, sizeof text);
    explicit_bzero(&kp, sizeof kp);
    return rc;
}
