/* Clients: the Python client (tools/clients/python, Debian's python3-zmq and python3-protobuf
 * over protoc's generated lift_pb2 in build/gen/python) and the Node client (tools/clients/node,
 * zeromq 6 and protobufjs from the committed lockfile) run their own test suites against a real
 * liftd started here: GrowthBook vectors against liftctl bucket, field names in rejections,
 * resends as duplicates, the report against liftctl's JSON, fail-over. This case checks each
 * run's exit status and its summary line (so that a suite that ran nothing fails too). */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>

#include "testutil.h"

#define T tu_liftd /* each test's liftd (tu_setup, tu_teardown) */

/* Runs cmd (sh -c) from the repository root with the test's endpoint and liftctl in the
 * environment; output into out. Returns the exit status, -1 when it did not exit normally. */
static int run(const char *cmd, char *out, size_t len)
{
    char liftctl[512], full[4096];
    tu_program("liftctl", liftctl, sizeof liftctl);
    snprintf(full, sizeof full, "LIFT_TEST_ENDPOINT='%s' LIFTCTL='%s' %s 2>&1", T.endpoint, liftctl,
             cmd);
    FILE *p = popen(full, "r");
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

/* The number after `key` in out (e.g. "Ran " -> 9), or -1. */
static long number_after(const char *out, const char *key)
{
    const char *s = strstr(out, key);
    return s ? strtol(s + strlen(key), NULL, 10) : -1;
}

#define PY_TESTS 11   /* tests in tools/clients/python/tests/test_liftclient.py */
#define NODE_TESTS 11 /* tests in tools/clients/node/test/lift.test.js */

START_TEST(test_python_client)
{
    static char out[1 << 16];
    int rc = run("PYTHONPATH=build/gen/python:tools/clients/python /usr/bin/python3 -m unittest "
                 "discover -s tools/clients/python/tests -v",
                 out, sizeof out);
    ck_assert_msg(rc == 0, "python client tests exited %d:\n%s", rc, out);
    ck_assert_msg(number_after(out, "\nRan ") == PY_TESTS, "expected %d tests:\n%s", PY_TESTS, out);
    ck_assert_msg(strstr(out, "\nOK\n") != NULL && strstr(out, "skipped") == NULL, "%s", out);
    ck_assert_msg(strstr(out, "LiftTest.test_growthbook_vectors_equal_liftctl_bucket) ... ok\n"),
                  "%s", out);
    ck_assert_msg(strstr(out, "LiftTest.test_report_headline_equals_liftctl_json) ... ok\n"), "%s",
                  out);
    ck_assert_msg(strstr(out, "LiftTest.test_program_holdout) ... ok\n"), "%s", out);
}
END_TEST

START_TEST(test_node_client)
{
    static char out[1 << 16];
    int rc = run("node --test --test-reporter=tap tools/clients/node/test/", out, sizeof out);
    ck_assert_msg(rc == 0, "node client tests exited %d:\n%s", rc, out);
    ck_assert_msg(number_after(out, "\n# pass ") == NODE_TESTS, "expected %d passes:\n%s",
                  NODE_TESTS, out);
    ck_assert_msg(number_after(out, "\n# fail ") == 0, "%s", out);
    ck_assert_msg(number_after(out, "\n# skipped ") == 0, "%s", out);
    ck_assert_msg(strstr(out, "ok 2 - growthbook vectors equal liftctl bucket") != NULL, "%s", out);
    ck_assert_msg(strstr(out, "ok 8 - program holdout: isHeldOut, the gate, the program report") !=
                      NULL,
                  "%s", out);
}
END_TEST

Suite *clients_suite(void);
Suite *clients_suite(void)
{
    Suite *s = suite_create("clients");
    TCase *py = tcase_create("python");
    tcase_add_checked_fixture(py, tu_setup, tu_teardown);
    tcase_add_test(py, test_python_client);
    tcase_set_timeout(py, 300);
    suite_add_tcase(s, py);
    TCase *node = tcase_create("node");
    tcase_add_checked_fixture(node, tu_setup, tu_teardown);
    tcase_add_test(node, test_node_client);
    tcase_set_timeout(node, 300);
    suite_add_tcase(s, node);
    return s;
}
