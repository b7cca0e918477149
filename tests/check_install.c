/* Install: `make install` into a temporary prefix, a program built with pkg-config alone
 * against the installed headers and shared library and run against the installed liftd (and
 * its offline bucketing compared with liftctl bucket), the
 * man pages and systemd unit, then `make uninstall` leaving nothing (tests/install_test.sh does
 * the steps; this case runs it and checks its exit status and its report). */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>

#include "lift/lift.h"

/* Runs cmd through the shell, output (stdout and stderr) into out; returns the exit status or
 * -1 when it did not exit normally. */
static int run(const char *cmd, char *out, size_t len)
{
    FILE *p = popen(cmd, "r");
    ck_assert_ptr_nonnull(p);
    size_t n = 0, r;
    while (n + 1 < len && (r = fread(out + n, 1, len - 1 - n, p)) > 0)
        n += r;
    out[n] = '\0';
    char sink[4096];
    while (fread(sink, 1, sizeof sink, p) > 0)
        ;
    int st = pclose(p);
    return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

/* The end of the script's output: what a failure message can carry (Check caps its length). */
static const char *tail_of(const char *out)
{
    size_t n = strlen(out);
    return n > 3000 ? out + n - 3000 : out;
}

START_TEST(test_install_pkgconfig_program_uninstall)
{
    static char out[65536];
    int rc = run("sh tests/install_test.sh 2>&1", out, sizeof out);
    ck_assert_msg(rc == 0, "tests/install_test.sh exited %d:\n...%s", rc, tail_of(out));
    /* Each step reports; a script that stopped early cannot print these. */
    ck_assert_msg(strstr(out, "SONAME liblift.so.1\n") != NULL, "%s", tail_of(out));
    ck_assert_msg(strstr(out, "ping " LIFT_VERSION " EUR 2\n") != NULL, "%s", tail_of(out));
    ck_assert_msg(strstr(out, "\nassign jos\xc3\xa9-42 ") != NULL, "%s", tail_of(out));
    /* the public bucketing (lift/bucket.h) through the installed library */
    ck_assert_msg(strstr(out, "\nbucket jos\xc3\xa9-42 ") != NULL, "%s", tail_of(out));
    ck_assert_msg(strstr(out, "man pages and unit: ok\n") != NULL, "%s", tail_of(out));
    ck_assert_msg(strstr(out, "staged install and uninstall: ok\n") != NULL, "%s", tail_of(out));
    const char *last = "install test: ok\n";
    size_t n = strlen(out), m = strlen(last);
    ck_assert_msg(n >= m && strcmp(out + n - m, last) == 0, "%s", tail_of(out));
}
END_TEST

Suite *install_suite(void);
Suite *install_suite(void)
{
    Suite *s = suite_create("install");
    TCase *tc = tcase_create("install");
    tcase_add_test(tc, test_install_pkgconfig_program_uninstall);
    tcase_set_timeout(tc, 600); /* may build the plain tree first */
    suite_add_tcase(s, tc);
    return s;
}
