/* lift_hello: a program outside the tree, built by tests/install_test.sh against an installed
 * Lift with `pkg-config --cflags --libs lift` alone. Pings liftd, registers and starts a
 * two-arm experiment, assigns one customer and prints what came back, and the arm the public
 * bucketing (lift/bucket.h) gives the customer offline under the same split:
 *   ping <version> <currency>
 *   assign <customer> <arm_index> <arm_name> <first_exposure>
 *   bucket <customer> <arm_index>
 * Usage: lift_hello ENDPOINT KEY CUSTOMER. Exit 0 on success, 1 with a message otherwise. */
#include <lift/bucket.h>
#include <lift/client.h>
#include <lift/currency.h>
#include <stdio.h>
#include <string.h>

int main(int argc, char **argv)
{
    if (argc != 4) {
        fprintf(stderr, "usage: lift_hello ENDPOINT KEY CUSTOMER\n");
        return 2;
    }
    lift_client_opts_t opts = {.timeout_ms = 2000, .attempts = 3};
    lift_client_t *c = lift_client_new(argv[1], &opts);
    if (!c) {
        perror("lift_client_new");
        return 1;
    }
    lift_server_info_t info;
    if (lift_server_info(c, &info) != LIFT_OK) {
        fprintf(stderr, "ping: %s\n", lift_client_error(c));
        return 1;
    }
    printf("ping %s %s %d\n", info.version, info.currency, lift_currency_digits(info.currency));

    Lift__Arm holdout = LIFT__ARM__INIT, offer = LIFT__ARM__INIT;
    holdout.name = "holdout";
    holdout.has_weight = 1;
    holdout.weight = 0.1;
    offer.name = "offer";
    offer.has_weight = 1;
    offer.weight = 0.9;
    Lift__Arm *arms[] = {&holdout, &offer};
    Lift__Experiment x = LIFT__EXPERIMENT__INIT;
    x.key = argv[2];
    x.n_arms = 2;
    x.arms = arms;
    if (lift_experiment_create(c, &x, NULL) != LIFT_OK ||
        lift_experiment_change(c, argv[2], LIFT__ACTION__ACTION_START, 0, NULL) != LIFT_OK) {
        fprintf(stderr, "experiment: %s\n", lift_client_error(c));
        return 1;
    }
    lift_context_t ctx = {0};
    if (lift_trigger_parse("usage_threshold", &ctx.trigger) < 0 ||
        lift_stage_parse("growth", &ctx.stage) < 0 ||
        lift_channel_parse("in_app", &ctx.channel) < 0)
        return 1;
    lift_assignment_t a;
    if (lift_assign(c, argv[2], argv[3], &ctx, &a) != LIFT_OK) {
        fprintf(stderr, "assign: %s\n", lift_client_error(c));
        return 1;
    }
    printf("assign %s %d %s %d\n", a.customer_id, a.arm_index, a.arm_name ? a.arm_name : "none",
           (int)a.first_exposure);
    lift_assignment_clear(&a);
    lift_client_destroy(&c);

    double w[] = {0.1, 0.9};
    lift_bucket_config_t split = {
        .weights = w, .narms = 2, .coverage = 1, .seed = argv[2], .seed_len = strlen(argv[2])};
    lift_bucket_result_t b;
    char err[160];
    if (lift_bucket_config_check(&split, err, sizeof err) != 0 ||
        lift_customer_id_check(argv[3], strlen(argv[3]), err, sizeof err) != 0) {
        fprintf(stderr, "bucket: %s\n", err);
        return 1;
    }
    printf("bucket %s %d\n", argv[3], lift_bucket(&split, argv[3], strlen(argv[3]), &b));
    return 0;
}
