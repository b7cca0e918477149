/* Check suite for src/assign.c: bit-identical agreement with GrowthBook's SDK (golden vectors),
 * FNV and UTF-16 details, the customer id contract, range boundaries, ramps and split shares.
 * It does not test eligibility or storage: assign has neither. */
#include <check.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "assign.h"

Suite *assign_suite(void);

/* One experiment split of the golden table. */
typedef struct {
    double weights[5]; /* arm weights */
    int narms;         /* arms used in weights */
    double coverage;   /* coverage passed to the SDK */
    const char *seed;  /* experiment seed */
    const char *ns;    /* namespace id, NULL for none */
    double ns_lo;      /* namespace range start */
    double ns_hi;      /* namespace range end */
} gb_setting_t;

/* One customer id evaluated by the SDK under one setting. */
typedef struct {
    int setting;     /* index into gb_settings */
    const char *id;  /* customer id, UTF-8 */
    int arm;         /* SDK's variation index, -1 when not in the experiment */
    double n;        /* SDK's hash(seed, id, 2) */
    double ns_value; /* SDK's hash("__" + ns, id, 1), -1 without namespace */
} gb_vector_t;

/* Produced by GrowthBook's JavaScript SDK 1.8.0 (gb.run, hashVersion 2); regenerate with
 *   d=$(mktemp -d); (cd "$d" && npm init -y >/dev/null && npm install @growthbook/growthbook@1.8.0)
 *   NODE_PATH="$d/node_modules" node tests/growthbook_vectors.js > build/gb_vectors.inc
 * and replace the BEGIN..END block below with build/gb_vectors.inc. */
/* BEGIN GROWTHBOOK VECTORS: tests/growthbook_vectors.js, @growthbook/growthbook 1.8.0 */
/* clang-format off */
static const gb_setting_t gb_settings[] = {
    {{0.5, 0.5}, 2, 1, "upsell-2024", NULL, 0, 0},
    {{0.1, 0.9}, 2, 1, "holdout-10", NULL, 0, 0},
    {{0.1, 0.9}, 2, 0.5, "holdout-10", NULL, 0, 0},
    {{0.1, 0.3, 0.6}, 3, 1, "timing.test", NULL, 0, 0},
    {{0.1, 0.3, 0.6}, 3, 0.05, "timing.test", NULL, 0, 0},
    {{0.2, 0.2, 0.2, 0.2, 0.2}, 5, 1, "five_arms", NULL, 0, 0},
    {{0.2, 0.2, 0.2, 0.2, 0.2}, 5, 0.5, "five_arms", NULL, 0, 0},
    {{0.5, 0.5}, 2, 1, "upsell-2024", "pricing", 0.2, 0.7},
    {{0.1, 0.9}, 2, 0.5, "caf\303\251-seed", "pricing", 0.2, 0.7},
    {{0.1, 0.3, 0.6}, 3, 1, "timing.test", "onboarding-\303\251", 0, 0.5},
};
static const gb_vector_t gb_vectors[] = {
    {0, "1", 0, 0.0354, -1},
    {0, "42", 0, 0.4209, -1},
    {0, "123456789", 0, 0.0313, -1},
    {0, "cust-0001", 0, 0.1314, -1},
    {0, "cust-0002", 0, 0.4192, -1},
    {0, "user@example.com", 0, 0.4908, -1},
    {0, "ABC-xyz_09", 0, 0.2366, -1},
    {0, "a", 0, 0.1878, -1},
    {0, "Z", 0, 0.3806, -1},
    {0, "customer with spaces", 0, 0.456, -1},
    {0, "0000000000", 1, 0.9937, -1},
    {0, "4294967295", 0, 0.0314, -1},
    {0, "jos\303\251", 1, 0.6223, -1},
    {0, "Zo\303\253", 0, 0.0914, -1},
    {0, "\303\206r\303\270sk\303\270bing-7", 0, 0.3835, -1},
    {0, "\351\241\247\345\256\242-42", 0, 0.0905, -1},
    {0, "\345\256\242\346\210\267", 0, 0.2677, -1},
    {0, "\343\203\246\343\203\274\343\202\266\343\203\274123", 0, 0.4207, -1},
    {0, "cust-\360\237\230\200-7", 0, 0.1013, -1},
    {0, "\360\237\230\200", 0, 0.1994, -1},
    {0, "\360\235\204\236music", 1, 0.8323, -1},
    {0, "mix\303\251\360\237\230\200\351\241\247", 0, 0.4714, -1},
    {0, "Stra\303\237e", 1, 0.9919, -1},
    {0, "na\303\257ve-caf\303\251", 0, 0.319, -1},
    {0, "id-\316\251-\342\210\221", 0, 0.2925, -1},
    {1, "1", 1, 0.6581, -1},
    {1, "42", 1, 0.9109, -1},
    {1, "123456789", 1, 0.1675, -1},
    {1, "cust-0001", 1, 0.7038, -1},
    {1, "cust-0002", 1, 0.1628, -1},
    {1, "user@example.com", 1, 0.794, -1},
    {1, "ABC-xyz_09", 0, 0.0975, -1},
    {1, "a", 1, 0.4387, -1},
    {1, "Z", 1, 0.7308, -1},
    {1, "customer with spaces", 1, 0.9387, -1},
    {1, "0000000000", 1, 0.8296, -1},
    {1, "4294967295", 1, 0.543, -1},
    {1, "jos\303\251", 1, 0.2756, -1},
    {1, "Zo\303\253", 0, 0.0591, -1},
    {1, "\303\206r\303\270sk\303\270bing-7", 0, 0.0392, -1},
    {1, "\351\241\247\345\256\242-42", 0, 0.0067, -1},
    {1, "\345\256\242\346\210\267", 1, 0.7635, -1},
    {1, "\343\203\246\343\203\274\343\202\266\343\203\274123", 1, 0.1036, -1},
    {1, "cust-\360\237\230\200-7", 1, 0.8825, -1},
    {1, "\360\237\230\200", 1, 0.8178, -1},
    {1, "\360\235\204\236music", 1, 0.1921, -1},
    {1, "mix\303\251\360\237\230\200\351\241\247", 1, 0.2789, -1},
    {1, "Stra\303\237e", 1, 0.297, -1},
    {1, "na\303\257ve-caf\303\251", 1, 0.2959, -1},
    {1, "id-\316\251-\342\210\221", 1, 0.4946, -1},
    {2, "1", -1, 0.6581, -1},
    {2, "42", -1, 0.9109, -1},
    {2, "123456789", 1, 0.1675, -1},
    {2, "cust-0001", -1, 0.7038, -1},
    {2, "cust-0002", 1, 0.1628, -1},
    {2, "user@example.com", -1, 0.794, -1},
    {2, "ABC-xyz_09", -1, 0.0975, -1},
    {2, "a", 1, 0.4387, -1},
    {2, "Z", -1, 0.7308, -1},
    {2, "customer with spaces", -1, 0.9387, -1},
    {2, "0000000000", -1, 0.8296, -1},
    {2, "4294967295", 1, 0.543, -1},
    {2, "jos\303\251", 1, 0.2756, -1},
    {2, "Zo\303\253", -1, 0.0591, -1},
    {2, "\303\206r\303\270sk\303\270bing-7", 0, 0.0392, -1},
    {2, "\351\241\247\345\256\242-42", 0, 0.0067, -1},
    {2, "\345\256\242\346\210\267", -1, 0.7635, -1},
    {2, "\343\203\246\343\203\274\343\202\266\343\203\274123", 1, 0.1036, -1},
    {2, "cust-\360\237\230\200-7", -1, 0.8825, -1},
    {2, "\360\237\230\200", -1, 0.8178, -1},
    {2, "\360\235\204\236music", 1, 0.1921, -1},
    {2, "mix\303\251\360\237\230\200\351\241\247", 1, 0.2789, -1},
    {2, "Stra\303\237e", 1, 0.297, -1},
    {2, "na\303\257ve-caf\303\251", 1, 0.2959, -1},
    {2, "id-\316\251-\342\210\221", 1, 0.4946, -1},
    {3, "1", 1, 0.1208, -1},
    {3, "42", 2, 0.7732, -1},
    {3, "123456789", 1, 0.3532, -1},
    {3, "cust-0001", 2, 0.4976, -1},
    {3, "cust-0002", 2, 0.5861, -1},
    {3, "user@example.com", 2, 0.8024, -1},
    {3, "ABC-xyz_09", 0, 0.0675, -1},
    {3, "a", 1, 0.2581, -1},
    {3, "Z", 1, 0.1495, -1},
    {3, "customer with spaces", 2, 0.8992, -1},
    {3, "0000000000", 2, 0.8165, -1},
    {3, "4294967295", 2, 0.9879, -1},
    {3, "jos\303\251", 1, 0.2848, -1},
    {3, "Zo\303\253", 1, 0.3683, -1},
    {3, "\303\206r\303\270sk\303\270bing-7", 2, 0.668, -1},
    {3, "\351\241\247\345\256\242-42", 2, 0.4526, -1},
    {3, "\345\256\242\346\210\267", 1, 0.3714, -1},
    {3, "\343\203\246\343\203\274\343\202\266\343\203\274123", 2, 0.7428, -1},
    {3, "cust-\360\237\230\200-7", 2, 0.9645, -1},
    {3, "\360\237\230\200", 0, 0.0168, -1},
    {3, "\360\235\204\236music", 1, 0.3679, -1},
    {3, "mix\303\251\360\237\230\200\351\241\247", 1, 0.3795, -1},
    {3, "Stra\303\237e", 1, 0.3271, -1},
    {3, "na\303\257ve-caf\303\251", 2, 0.8324, -1},
    {3, "id-\316\251-\342\210\221", 2, 0.5494, -1},
    {4, "1", -1, 0.1208, -1},
    {4, "42", -1, 0.7732, -1},
    {4, "123456789", -1, 0.3532, -1},
    {4, "cust-0001", -1, 0.4976, -1},
    {4, "cust-0002", -1, 0.5861, -1},
    {4, "user@example.com", -1, 0.8024, -1},
    {4, "ABC-xyz_09", -1, 0.0675, -1},
    {4, "a", -1, 0.2581, -1},
    {4, "Z", -1, 0.1495, -1},
    {4, "customer with spaces", -1, 0.8992, -1},
    {4, "0000000000", -1, 0.8165, -1},
    {4, "4294967295", -1, 0.9879, -1},
    {4, "jos\303\251", -1, 0.2848, -1},
    {4, "Zo\303\253", -1, 0.3683, -1},
    {4, "\303\206r\303\270sk\303\270bing-7", -1, 0.668, -1},
    {4, "\351\241\247\345\256\242-42", -1, 0.4526, -1},
    {4, "\345\256\242\346\210\267", -1, 0.3714, -1},
    {4, "\343\203\246\343\203\274\343\202\266\343\203\274123", -1, 0.7428, -1},
    {4, "cust-\360\237\230\200-7", -1, 0.9645, -1},
    {4, "\360\237\230\200", -1, 0.0168, -1},
    {4, "\360\235\204\236music", -1, 0.3679, -1},
    {4, "mix\303\251\360\237\230\200\351\241\247", -1, 0.3795, -1},
    {4, "Stra\303\237e", -1, 0.3271, -1},
    {4, "na\303\257ve-caf\303\251", -1, 0.8324, -1},
    {4, "id-\316\251-\342\210\221", -1, 0.5494, -1},
    {5, "1", 3, 0.7526, -1},
    {5, "42", 3, 0.6107, -1},
    {5, "123456789", 0, 0.0668, -1},
    {5, "cust-0001", 1, 0.3987, -1},
    {5, "cust-0002", 2, 0.4507, -1},
    {5, "user@example.com", 4, 0.8693, -1},
    {5, "ABC-xyz_09", 3, 0.7418, -1},
    {5, "a", 2, 0.5194, -1},
    {5, "Z", 1, 0.2116, -1},
    {5, "customer with spaces", 1, 0.2113, -1},
    {5, "0000000000", 4, 0.9305, -1},
    {5, "4294967295", 4, 0.8025, -1},
    {5, "jos\303\251", 2, 0.5399, -1},
    {5, "Zo\303\253", 1, 0.3299, -1},
    {5, "\303\206r\303\270sk\303\270bing-7", 0, 0.1203, -1},
    {5, "\351\241\247\345\256\242-42", 3, 0.6931, -1},
    {5, "\345\256\242\346\210\267", 1, 0.3869, -1},
    {5, "\343\203\246\343\203\274\343\202\266\343\203\274123", 4, 0.8671, -1},
    {5, "cust-\360\237\230\200-7", 1, 0.3399, -1},
    {5, "\360\237\230\200", 0, 0.1066, -1},
    {5, "\360\235\204\236music", 4, 0.8083, -1},
    {5, "mix\303\251\360\237\230\200\351\241\247", 4, 0.9785, -1},
    {5, "Stra\303\237e", 2, 0.5604, -1},
    {5, "na\303\257ve-caf\303\251", 3, 0.6498, -1},
    {5, "id-\316\251-\342\210\221", 0, 0.1419, -1},
    {6, "1", -1, 0.7526, -1},
    {6, "42", 3, 0.6107, -1},
    {6, "123456789", 0, 0.0668, -1},
    {6, "cust-0001", -1, 0.3987, -1},
    {6, "cust-0002", 2, 0.4507, -1},
    {6, "user@example.com", 4, 0.8693, -1},
    {6, "ABC-xyz_09", -1, 0.7418, -1},
    {6, "a", -1, 0.5194, -1},
    {6, "Z", 1, 0.2116, -1},
    {6, "customer with spaces", 1, 0.2113, -1},
    {6, "0000000000", -1, 0.9305, -1},
    {6, "4294967295", 4, 0.8025, -1},
    {6, "jos\303\251", -1, 0.5399, -1},
    {6, "Zo\303\253", -1, 0.3299, -1},
    {6, "\303\206r\303\270sk\303\270bing-7", -1, 0.1203, -1},
    {6, "\351\241\247\345\256\242-42", 3, 0.6931, -1},
    {6, "\345\256\242\346\210\267", -1, 0.3869, -1},
    {6, "\343\203\246\343\203\274\343\202\266\343\203\274123", 4, 0.8671, -1},
    {6, "cust-\360\237\230\200-7", -1, 0.3399, -1},
    {6, "\360\237\230\200", -1, 0.1066, -1},
    {6, "\360\235\204\236music", 4, 0.8083, -1},
    {6, "mix\303\251\360\237\230\200\351\241\247", -1, 0.9785, -1},
    {6, "Stra\303\237e", -1, 0.5604, -1},
    {6, "na\303\257ve-caf\303\251", 3, 0.6498, -1},
    {6, "id-\316\251-\342\210\221", -1, 0.1419, -1},
    {7, "1", -1, 0.0354, 0.764},
    {7, "42", -1, 0.4209, 0.985},
    {7, "123456789", 0, 0.0313, 0.492},
    {7, "cust-0001", -1, 0.1314, 0.75},
    {7, "cust-0002", -1, 0.4192, 0.093},
    {7, "user@example.com", 0, 0.4908, 0.337},
    {7, "ABC-xyz_09", -1, 0.2366, 0.027},
    {7, "a", -1, 0.1878, 0.708},
    {7, "Z", 0, 0.3806, 0.263},
    {7, "customer with spaces", 0, 0.456, 0.266},
    {7, "0000000000", -1, 0.9937, 0.055},
    {7, "4294967295", 0, 0.0314, 0.67},
    {7, "jos\303\251", 1, 0.6223, 0.31},
    {7, "Zo\303\253", 0, 0.0914, 0.693},
    {7, "\303\206r\303\270sk\303\270bing-7", -1, 0.3835, 0.719},
    {7, "\351\241\247\345\256\242-42", -1, 0.0905, 0.855},
    {7, "\345\256\242\346\210\267", 0, 0.2677, 0.554},
    {7, "\343\203\246\343\203\274\343\202\266\343\203\274123", 0, 0.4207, 0.553},
    {7, "cust-\360\237\230\200-7", 0, 0.1013, 0.616},
    {7, "\360\237\230\200", 0, 0.1994, 0.4},
    {7, "\360\235\204\236music", -1, 0.8323, 0.126},
    {7, "mix\303\251\360\237\230\200\351\241\247", 0, 0.4714, 0.41},
    {7, "Stra\303\237e", -1, 0.9919, 0.777},
    {7, "na\303\257ve-caf\303\251", 0, 0.319, 0.598},
    {7, "id-\316\251-\342\210\221", -1, 0.2925, 0.804},
    {8, "1", -1, 0.6935, 0.764},
    {8, "42", -1, 0.377, 0.985},
    {8, "123456789", -1, 0.61, 0.492},
    {8, "cust-0001", -1, 0.7622, 0.75},
    {8, "cust-0002", -1, 0.5249, 0.093},
    {8, "user@example.com", -1, 0.9835, 0.337},
    {8, "ABC-xyz_09", -1, 0.4281, 0.027},
    {8, "a", -1, 0.7144, 0.708},
    {8, "Z", -1, 0.7509, 0.263},
    {8, "customer with spaces", 1, 0.5053, 0.266},
    {8, "0000000000", -1, 0.9061, 0.055},
    {8, "4294967295", -1, 0.6394, 0.67},
    {8, "jos\303\251", 1, 0.4326, 0.31},
    {8, "Zo\303\253", 1, 0.3922, 0.693},
    {8, "\303\206r\303\270sk\303\270bing-7", -1, 0.9181, 0.719},
    {8, "\351\241\247\345\256\242-42", -1, 0.0192, 0.855},
    {8, "\345\256\242\346\210\267", 1, 0.5169, 0.554},
    {8, "\343\203\246\343\203\274\343\202\266\343\203\274123", 1, 0.3899, 0.553},
    {8, "cust-\360\237\230\200-7", -1, 0.6767, 0.616},
    {8, "\360\237\230\200", 1, 0.302, 0.4},
    {8, "\360\235\204\236music", -1, 0.9442, 0.126},
    {8, "mix\303\251\360\237\230\200\351\241\247", -1, 0.6863, 0.41},
    {8, "Stra\303\237e", -1, 0.1705, 0.777},
    {8, "na\303\257ve-caf\303\251", -1, 0.7994, 0.598},
    {8, "id-\316\251-\342\210\221", -1, 0.1715, 0.804},
    {9, "1", 1, 0.1208, 0.397},
    {9, "42", -1, 0.7732, 0.814},
    {9, "123456789", 1, 0.3532, 0.173},
    {9, "cust-0001", 2, 0.4976, 0.135},
    {9, "cust-0002", -1, 0.5861, 0.506},
    {9, "user@example.com", -1, 0.8024, 0.718},
    {9, "ABC-xyz_09", 0, 0.0675, 0.08},
    {9, "a", -1, 0.2581, 0.509},
    {9, "Z", -1, 0.1495, 0.732},
    {9, "customer with spaces", 2, 0.8992, 0.267},
    {9, "0000000000", 2, 0.8165, 0.268},
    {9, "4294967295", 2, 0.9879, 0.119},
    {9, "jos\303\251", 1, 0.2848, 0.063},
    {9, "Zo\303\253", 1, 0.3683, 0.346},
    {9, "\303\206r\303\270sk\303\270bing-7", -1, 0.668, 0.66},
    {9, "\351\241\247\345\256\242-42", 2, 0.4526, 0.276},
    {9, "\345\256\242\346\210\267", -1, 0.3714, 0.835},
    {9, "\343\203\246\343\203\274\343\202\266\343\203\274123", -1, 0.7428, 0.678},
    {9, "cust-\360\237\230\200-7", -1, 0.9645, 0.817},
    {9, "\360\237\230\200", 0, 0.0168, 0.489},
    {9, "\360\235\204\236music", -1, 0.3679, 0.535},
    {9, "mix\303\251\360\237\230\200\351\241\247", 1, 0.3795, 0.467},
    {9, "Stra\303\237e", -1, 0.3271, 0.862},
    {9, "na\303\257ve-caf\303\251", 2, 0.8324, 0.015},
    {9, "id-\316\251-\342\210\221", -1, 0.5494, 0.957},
    {0, "edge-3504", 1, 0.5, -1},
    {1, "edge-17122", 1, 0.1, -1},
    {2, "edge-1632", -1, 0.05, -1},
    {2, "edge-1733", -1, 0.55, -1},
    {2, "edge-17122", 1, 0.1, -1},
    {5, "edge-6480", 2, 0.4, -1},
    {5, "edge-4318", 2, 0.6, -1},
    {5, "edge-797", 4, 0.8, -1},
    {6, "edge-30465", -1, 0.9, -1},
    {3, "edge-2236", 2, 0.4, -1},
};
/* clang-format on */
/* END GROWTHBOOK VECTORS */

#define NVECTORS (sizeof gb_vectors / sizeof gb_vectors[0])

static assign_config_t setting_config(const gb_setting_t *s)
{
    assign_config_t cfg = {
        .weights = s->weights,
        .narms = s->narms,
        .coverage = s->coverage,
        .seed = s->seed,
        .seed_len = strlen(s->seed),
        .has_namespace = s->ns != NULL,
        .ns_id = s->ns,
        .ns_id_len = s->ns ? strlen(s->ns) : 0,
        .ns_lo = s->ns_lo,
        .ns_hi = s->ns_hi,
    };
    return cfg;
}

static const double w_half[] = {0.5, 0.5};
static const double w_10_90[] = {0.1, 0.9};
static const double w_1_3_6[] = {0.1, 0.3, 0.6};
static const double w_fifths[] = {0.2, 0.2, 0.2, 0.2, 0.2};

static assign_config_t plain_config(const double *w, int narms, double coverage)
{
    assign_config_t cfg = {
        .weights = w, .narms = narms, .coverage = coverage, .seed = "lift-test", .seed_len = 9};
    return cfg;
}

/* ---- core ---------------------------------------------------------------------------- */

START_TEST(test_golden_vectors)
{
    ck_assert_uint_ge(NVECTORS, 250);
    for (size_t i = 0; i < NVECTORS; i++) {
        const gb_vector_t *v = &gb_vectors[i];
        const gb_setting_t *s = &gb_settings[v->setting];
        assign_config_t cfg = setting_config(s);
        assign_result_t r;
        double n = -2;

        ck_assert_int_eq(assign_config_check(&cfg, NULL, 0), 0);
        int arm = assign_bucket(&cfg, v->id, strlen(v->id), &r);
        ck_assert_msg(arm == (v->arm < 0 ? ASSIGN_NOT_IN : v->arm),
                      "row %zu id '%s' setting %d: arm %d, SDK %d", i, v->id, v->setting, arm,
                      v->arm);
        ck_assert_int_eq(r.arm, v->arm);
        ck_assert_msg(r.n == v->n, "row %zu id '%s': n %.17g, SDK %.17g", i, v->id, r.n, v->n);
        ck_assert_msg(r.ns_value == v->ns_value,
                      "row %zu id '%s': namespace value %.17g, SDK %.17g", i, v->id, r.ns_value,
                      v->ns_value);
        if (v->arm >= 0)
            ck_assert_int_eq(r.reason, ASSIGN_IN_EXPERIMENT);
        else if (s->ns != NULL && !(v->ns_value >= s->ns_lo && v->ns_value < s->ns_hi))
            ck_assert_int_eq(r.reason, ASSIGN_OUTSIDE_NAMESPACE);
        else
            ck_assert_int_eq(r.reason, ASSIGN_OUTSIDE_COVERAGE);
        ck_assert_int_eq(assign_hash_v2(s->seed, strlen(s->seed), v->id, strlen(v->id), &n), 0);
        ck_assert(n == v->n);
    }
}
END_TEST

START_TEST(test_golden_covers_all_outcomes)
{
    /* The table is only worth something if it exercises every branch. */
    int in = 0, out_cov = 0, out_ns = 0, astral = 0;
    for (size_t i = 0; i < NVECTORS; i++) {
        const gb_vector_t *v = &gb_vectors[i];
        const gb_setting_t *s = &gb_settings[v->setting];
        if (v->arm >= 0)
            in++;
        else if (s->ns && !(v->ns_value >= s->ns_lo && v->ns_value < s->ns_hi))
            out_ns++;
        else
            out_cov++;
        if (strstr(v->id, "\360") != NULL)
            astral++;
    }
    ck_assert_int_gt(in, 50);
    ck_assert_int_gt(out_cov, 20);
    ck_assert_int_gt(out_ns, 10);
    ck_assert_int_gt(astral, 20);
}
END_TEST

START_TEST(test_fnv_vectors)
{
    /* Reference FNV-1a 32 values (Fowler/Noll/Vo test suite). */
    ck_assert_uint_eq(assign_fnv1a32("", 0), 0x811c9dc5u);
    ck_assert_uint_eq(assign_fnv1a32("a", 1), 0xe40c292cu);
    ck_assert_uint_eq(assign_fnv1a32("foobar", 6), 0xbf9cf968u);

    /* ASCII: UTF-16 units equal the bytes. */
    uint32_t h = 0;
    ck_assert_int_eq(assign_fnv1a32_utf16("foobar", 6, &h), 0);
    ck_assert_uint_eq(h, 0xbf9cf968u);
    ck_assert_int_eq(assign_fnv1a32_utf16("", 0, &h), 0);
    ck_assert_uint_eq(h, 0x811c9dc5u);
}
END_TEST

START_TEST(test_utf16_units)
{
    /* Values of GrowthBook's hashFnv32a (copied from dist/cjs/util.js of 1.8.0), computed with
     *   node -e 'function f(s){let h=0x811c9dc5;for(let i=0;i<s.length;i++){h^=s.charCodeAt(i);
     *     h+=(h<<1)+(h<<4)+(h<<7)+(h<<8)+(h<<24);}return h>>>0}; console.log(f("é").toString(16))'
     */
    static const struct {
        const char *s; /* UTF-8 input */
        uint32_t h;    /* JavaScript hashFnv32a of the same string */
    } cases[] = {
        {"\303\251", 0x6c0b6c44u}, /* é: one unit 0x00E9, not bytes C3 A9 */
        {"jos\303\251", 0x6de318e2u},
        {"\360\237\230\200", 0xcb31c4b8u}, /* U+1F600: units D83D DE00 */
        {"cust-\360\237\230\200-7", 0xe84f8280u},
        {"\351\241\247\345\256\242-42", 0x89699875u}, /* 顧客-42 */
        {"\364\217\277\277", 0xf9282ca3u},            /* U+10FFFF: units DBFF DFFF */
        {"\357\277\277", 0x79aea14eu},                /* U+FFFF: one unit */
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        uint32_t h = 0;
        ck_assert_int_eq(assign_fnv1a32_utf16(cases[i].s, strlen(cases[i].s), &h), 0);
        ck_assert_msg(h == cases[i].h, "case %zu: 0x%08x, JS 0x%08x", i, h, cases[i].h);
    }
    /* The byte hash differs for non-ASCII: hashing bytes would break compatibility. */
    ck_assert_uint_ne(assign_fnv1a32("\303\251", 2), 0x6c0b6c44u);

    /* Astral = its surrogate pair, step by step. */
    uint32_t want = 0x811c9dc5u;
    want = (want ^ 0xD83Du) * 0x01000193u;
    want = (want ^ 0xDE00u) * 0x01000193u;
    uint32_t got = 0;
    ck_assert_int_eq(assign_fnv1a32_utf16("\360\237\230\200", 4, &got), 0);
    ck_assert_uint_eq(got, want);
}
END_TEST

START_TEST(test_range_boundaries)
{
    assign_config_t half = plain_config(w_half, 2, 1.0);
    ck_assert_int_eq(assign_choose_arm(&half, 0.0), 0);
    ck_assert_int_eq(assign_choose_arm(&half, 0.4999), 0);
    ck_assert_int_eq(assign_choose_arm(&half, 0.5), 1); /* a boundary goes to the upper arm */
    ck_assert_int_eq(assign_choose_arm(&half, 0.9999), 1);

    /* Cumulative sums round as in JavaScript: 0.2+0.2+0.2 = 0.6000000000000001, so n = 0.6
     * is still in arm 2, while 0.2*4 sums to exactly 0.8 and n = 0.8 is arm 4 (the SDK agrees:
     * see the edge-… rows of the golden table). */
    assign_config_t fifths = plain_config(w_fifths, 5, 1.0);
    ck_assert_int_eq(assign_choose_arm(&fifths, 0.2), 1);
    ck_assert_int_eq(assign_choose_arm(&fifths, 0.4), 2);
    ck_assert_int_eq(assign_choose_arm(&fifths, 0.6), 2);
    ck_assert_int_eq(assign_choose_arm(&fifths, 0.6000000000000001), 3);
    ck_assert_int_eq(assign_choose_arm(&fifths, 0.8), 4);

    /* Coverage 0.5 of [0.1, 0.9]: ranges [0, 0.05) and [0.1, 0.55). */
    assign_config_t cov = plain_config(w_10_90, 2, 0.5);
    ck_assert_int_eq(assign_choose_arm(&cov, 0.0499), 0);
    ck_assert_int_eq(assign_choose_arm(&cov, 0.05), -1);
    ck_assert_int_eq(assign_choose_arm(&cov, 0.0999), -1);
    ck_assert_int_eq(assign_choose_arm(&cov, 0.1), 1);
    ck_assert_int_eq(assign_choose_arm(&cov, 0.5499), 1);
    ck_assert_int_eq(assign_choose_arm(&cov, 0.55), -1);

    /* An id whose n is exactly 0.5 (found with the SDK: golden row "edge-3504"). */
    assign_config_t edge = plain_config(w_half, 2, 1.0);
    edge.seed = "upsell-2024";
    edge.seed_len = strlen(edge.seed);
    assign_result_t r;
    ck_assert_int_eq(assign_bucket(&edge, "edge-3504", 9, &r), 1);
    ck_assert(r.n == 0.5);
}
END_TEST

START_TEST(test_reason_names)
{
    ck_assert_str_eq(assign_reason_name(ASSIGN_IN_EXPERIMENT), "in_experiment");
    ck_assert_str_eq(assign_reason_name(ASSIGN_OUTSIDE_COVERAGE), "outside_coverage");
    ck_assert_str_eq(assign_reason_name(ASSIGN_OUTSIDE_NAMESPACE), "outside_namespace");
    ck_assert_str_eq(assign_reason_name(ASSIGN_INVALID), "invalid_id");
}
END_TEST

/* ---- limits -------------------------------------------------------------------------- */

START_TEST(test_id_length_bounds)
{
    char id[LIFT_CUSTOMER_ID_MAX + 2];
    char err[128];
    assign_result_t r;
    assign_config_t cfg = plain_config(w_half, 2, 1.0);

    memset(id, 'x', sizeof id);
    ck_assert_int_eq(assign_customer_id_check(id, 1, err, sizeof err), 0);
    ck_assert_int_eq(assign_customer_id_check(id, LIFT_CUSTOMER_ID_MAX, err, sizeof err), 0);
    ck_assert_int_ge(assign_bucket(&cfg, id, LIFT_CUSTOMER_ID_MAX, &r), 0);
    ck_assert_int_eq(assign_customer_id_check(id, LIFT_CUSTOMER_ID_MAX + 1, err, sizeof err), -1);
    ck_assert_str_eq(err, "customer_id: 129 bytes exceeds the limit of 128");
    ck_assert_int_eq(assign_bucket(&cfg, id, LIFT_CUSTOMER_ID_MAX + 1, &r), ASSIGN_INVALID_ID);
    ck_assert_int_eq(r.reason, ASSIGN_INVALID);

    /* A 4-byte character ending exactly at byte 128. */
    memcpy(id + LIFT_CUSTOMER_ID_MAX - 4, "\360\237\230\200", 4);
    ck_assert_int_eq(assign_customer_id_check(id, LIFT_CUSTOMER_ID_MAX, err, sizeof err), 0);
    ck_assert_int_ge(assign_bucket(&cfg, id, LIFT_CUSTOMER_ID_MAX, &r), 0);
    /* …and cut one byte short. */
    ck_assert_int_eq(assign_customer_id_check(id, LIFT_CUSTOMER_ID_MAX - 1, err, sizeof err), -1);
    ck_assert_int_eq(assign_bucket(&cfg, id, LIFT_CUSTOMER_ID_MAX - 1, &r), ASSIGN_INVALID_ID);
}
END_TEST

START_TEST(test_coverage_ramp_keeps_arms)
{
    /* Ramping coverage 0.2 -> 0.6 must never move a customer who was already in an arm. */
    assign_config_t low = plain_config(w_1_3_6, 3, 0.2);
    assign_config_t high = plain_config(w_1_3_6, 3, 0.6);
    int in_low = 0, in_high = 0;
    char id[32];

    for (int i = 0; i < 100000; i++) {
        assign_result_t a, b;
        int len = snprintf(id, sizeof id, "ramp-%d", i);
        int arm_low = assign_bucket(&low, id, (size_t)len, &a);
        int arm_high = assign_bucket(&high, id, (size_t)len, &b);
        ck_assert(a.n == b.n);
        if (arm_low >= 0) {
            in_low++;
            ck_assert_msg(arm_high == arm_low, "%s: arm %d at 0.2, %d at 0.6", id, arm_low,
                          arm_high);
        }
        if (arm_high >= 0)
            in_high++;
    }
    ck_assert_int_gt(in_low, 19000);
    ck_assert_int_lt(in_low, 21000);
    ck_assert_int_gt(in_high, 59000);
    ck_assert_int_lt(in_high, 61000);
}
END_TEST

START_TEST(test_split_proportions)
{
    /* 100k ids: shares within 0.005 of the weights (> 5 binomial standard deviations). */
    assign_config_t cfg = plain_config(w_1_3_6, 3, 1.0);
    assign_config_t ns = plain_config(w_half, 2, 0.5);
    int counts[3] = {0, 0, 0}, ns_in = 0, ns_out = 0;
    const int total = 100000;
    char id[32];

    ns.has_namespace = 1;
    ns.ns_id = "pricing";
    ns.ns_id_len = 7;
    ns.ns_lo = 0.2;
    ns.ns_hi = 0.7;
    for (int i = 0; i < total; i++) {
        assign_result_t r;
        int len = snprintf(id, sizeof id, "cust-%07d", i);
        int arm = assign_bucket(&cfg, id, (size_t)len, &r);
        ck_assert_int_ge(arm, 0);
        counts[arm]++;
        arm = assign_bucket(&ns, id, (size_t)len, &r);
        if (r.reason == ASSIGN_OUTSIDE_NAMESPACE)
            ns_out++;
        else if (arm >= 0)
            ns_in++;
    }
    for (int a = 0; a < 3; a++)
        ck_assert_msg(fabs((double)counts[a] / total - w_1_3_6[a]) < 0.005, "arm %d: %d of %d", a,
                      counts[a], total);
    /* Namespace [0.2, 0.7) keeps half; coverage 0.5 keeps half of those. */
    ck_assert_msg(fabs((double)ns_out / total - 0.5) < 0.01, "outside namespace: %d", ns_out);
    ck_assert_msg(fabs((double)ns_in / total - 0.25) < 0.01, "in experiment: %d", ns_in);
}
END_TEST

START_TEST(test_config_limits)
{
    double w[LIFT_ARMS_MAX + 1];
    assign_config_t cfg = plain_config(w, LIFT_ARMS_MAX, 1.0);

    for (int i = 0; i < LIFT_ARMS_MAX; i++)
        w[i] = 1.0 / LIFT_ARMS_MAX;
    ck_assert_int_eq(assign_config_check(&cfg, NULL, 0), 0);
    cfg.coverage = 1e-9;
    ck_assert_int_eq(assign_config_check(&cfg, NULL, 0), 0);
    cfg.narms = LIFT_ARMS_MAX + 1;
    ck_assert_int_eq(assign_config_check(&cfg, NULL, 0), -1);

    /* Weights off by less than the tolerance pass; by more, fail. */
    double wt[2] = {0.3, 0.7 + 5e-10};
    cfg = plain_config(wt, 2, 1.0);
    ck_assert_int_eq(assign_config_check(&cfg, NULL, 0), 0);
    wt[1] = 0.7 + 2e-9;
    ck_assert_int_eq(assign_config_check(&cfg, NULL, 0), -1);

    /* Namespace spanning [0, 1) and ending at 1. */
    cfg = plain_config(w_half, 2, 1.0);
    cfg.has_namespace = 1;
    cfg.ns_id = "all";
    cfg.ns_id_len = 3;
    cfg.ns_lo = 0;
    cfg.ns_hi = 1;
    ck_assert_int_eq(assign_config_check(&cfg, NULL, 0), 0);
    assign_result_t r;
    ck_assert_int_ge(assign_bucket(&cfg, "anyone", 6, &r), 0);

    /* Empty seed is allowed (SDK: hash of the id alone). */
    cfg = plain_config(w_half, 2, 1.0);
    cfg.seed = "";
    cfg.seed_len = 0;
    ck_assert_int_eq(assign_config_check(&cfg, NULL, 0), 0);
    double n = -1;
    ck_assert_int_eq(assign_hash_v2("", 0, "abc", 3, &n), 0);
    ck_assert_int_ge(assign_bucket(&cfg, "abc", 3, &r), 0);
    ck_assert(r.n == n);
}
END_TEST

/* ---- errors -------------------------------------------------------------------------- */

START_TEST(test_customer_id_errors)
{
    static const struct {
        const char *id;  /* bytes */
        size_t len;      /* length, so NUL can be inside */
        const char *msg; /* expected message; NULL: valid */
    } cases[] = {
        {"", 0, "customer_id: empty (must be 1..128 bytes)"},
        {"cust-1", 6, NULL},
        {"Zo\303\253", 4, NULL},
        {"\302\240", 2, NULL}, /* U+00A0, first non-control after C1 */
        {"\200", 1, "customer_id: invalid UTF-8 at byte 0 (unexpected continuation byte)"},
        {"abc\277", 4, "customer_id: invalid UTF-8 at byte 3 (unexpected continuation byte)"},
        {"ab\303", 3, "customer_id: invalid UTF-8 at byte 2 (truncated sequence)"},
        {"\342\202", 2, "customer_id: invalid UTF-8 at byte 0 (truncated sequence)"},
        {"\303A", 2, "customer_id: invalid UTF-8 at byte 0 (missing continuation byte)"},
        {"a\300\257", 3, "customer_id: invalid UTF-8 at byte 1 (overlong encoding)"},
        {"\301\277", 2, "customer_id: invalid UTF-8 at byte 0 (overlong encoding)"},
        {"\340\200\257", 3, "customer_id: invalid UTF-8 at byte 0 (overlong encoding)"},
        {"\360\200\200\257", 4, "customer_id: invalid UTF-8 at byte 0 (overlong encoding)"},
        {"x\355\240\200", 4, "customer_id: invalid UTF-8 at byte 1 (UTF-16 surrogate encoded)"},
        {"\355\277\277", 3, "customer_id: invalid UTF-8 at byte 0 (UTF-16 surrogate encoded)"},
        {"\364\220\200\200", 4, "customer_id: invalid UTF-8 at byte 0 (code point above U+10FFFF)"},
        {"\367\277\277\277", 4, "customer_id: invalid UTF-8 at byte 0 (code point above U+10FFFF)"},
        {"\377", 1, "customer_id: invalid UTF-8 at byte 0 (invalid lead byte)"},
        {"\001", 1, "customer_id: control character U+0001 at byte 0"},
        {"ab\177", 3, "customer_id: control character U+007F at byte 2"},
        {"ab\302\205", 4, "customer_id: control character U+0085 at byte 2"},
        {"a\nb", 3, "customer_id: control character U+000A at byte 1"},
        {"a\0b", 3, "customer_id: control character U+0000 at byte 1"},
        {"tab\t", 4, "customer_id: control character U+0009 at byte 3"},
    };
    assign_config_t cfg = plain_config(w_half, 2, 1.0);

    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char err[128] = "";
        assign_result_t r;
        int rc = assign_customer_id_check(cases[i].id, cases[i].len, err, sizeof err);
        int arm = assign_bucket(&cfg, cases[i].id, cases[i].len, &r);
        if (cases[i].msg == NULL) {
            ck_assert_msg(rc == 0, "case %zu: %s", i, err);
            ck_assert_int_ge(arm, 0);
        } else {
            ck_assert_msg(rc == -1, "case %zu accepted", i);
            ck_assert_str_eq(err, cases[i].msg);
            ck_assert_msg(arm == ASSIGN_INVALID_ID, "case %zu: assign_bucket gave %d", i, arm);
            ck_assert_int_eq(r.arm, -1);
            ck_assert_int_eq(r.reason, ASSIGN_INVALID);
        }
    }
    /* A too-small buffer truncates, NULL is allowed. */
    char small[8];
    ck_assert_int_eq(assign_customer_id_check("\200", 1, small, sizeof small), -1);
    ck_assert_str_eq(small, "custome");
    ck_assert_int_eq(assign_customer_id_check("\200", 1, NULL, 0), -1);
}
END_TEST

START_TEST(test_hash_invalid_utf8)
{
    uint32_t h = 7;
    double n = 7;
    ck_assert_int_eq(assign_fnv1a32_utf16("a\355\240\200", 4, &h), -1);
    ck_assert_uint_eq(h, 7); /* untouched on failure */
    ck_assert_int_eq(assign_hash_v2("seed\377", 5, "id", 2, &n), -1);
    ck_assert_int_eq(assign_hash_v2("seed", 4, "id\300\200", 4, &n), -1);
    ck_assert(n == 7);

    /* A seed or namespace id with bad UTF-8 never yields an arm. */
    assign_config_t cfg = plain_config(w_half, 2, 1.0);
    assign_result_t r;
    cfg.seed = "bad\377";
    cfg.seed_len = 4;
    ck_assert_int_eq(assign_bucket(&cfg, "ok", 2, &r), ASSIGN_INVALID_ID);
    cfg = plain_config(w_half, 2, 1.0);
    cfg.has_namespace = 1;
    cfg.ns_id = "\377";
    cfg.ns_id_len = 1;
    cfg.ns_hi = 1;
    ck_assert_int_eq(assign_bucket(&cfg, "ok", 2, &r), ASSIGN_INVALID_ID);
}
END_TEST

START_TEST(test_config_errors)
{
    static const double w_sum_09[] = {0.4, 0.5};
    static const double w_neg[] = {-0.1, 1.1};
    static const double w_zero[] = {0.0, 1.0};
    static const double w_one[] = {1.0};
    double w_nan[] = {NAN, 0.5};
    static const struct {
        const double *w; /* weights */
        int narms;       /* arm count */
        double coverage; /* coverage */
        const char *msg; /* expected message */
    } cases[] = {
        {w_one, 1, 1.0, "arms: 1 outside 2..20"},
        {w_sum_09, 2, 1.0, "weights: sum 0.9 is not 1 (+-1e-09)"},
        {w_neg, 2, 1.0, "weights[0]: -0.1 must be a finite number > 0"},
        {w_zero, 2, 1.0, "weights[0]: 0 must be a finite number > 0"},
        {w_half, 2, 0.0, "coverage: 0 outside (0, 1]"},
        {w_half, 2, 1.5, "coverage: 1.5 outside (0, 1]"},
        {w_half, 2, -0.5, "coverage: -0.5 outside (0, 1]"},
        {w_half, 2, NAN, "coverage: nan outside (0, 1]"},
        {NULL, 2, 1.0, "weights: missing"},
    };
    char err[128];

    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        assign_config_t cfg = plain_config(cases[i].w, cases[i].narms, cases[i].coverage);
        ck_assert_int_eq(assign_config_check(&cfg, err, sizeof err), -1);
        ck_assert_str_eq(err, cases[i].msg);
    }
    assign_config_t cfg = plain_config(w_nan, 2, 1.0);
    ck_assert_int_eq(assign_config_check(&cfg, err, sizeof err), -1);
    ck_assert_str_eq(err, "weights[0]: nan must be a finite number > 0");

    cfg = plain_config(w_half, 2, 1.0);
    cfg.seed = "s\300\257";
    cfg.seed_len = 3;
    ck_assert_int_eq(assign_config_check(&cfg, err, sizeof err), -1);
    ck_assert_str_eq(err, "seed: invalid UTF-8 at byte 1 (overlong encoding)");

    static const struct {
        const char *ns;  /* namespace id */
        double lo, hi;   /* range */
        const char *msg; /* expected message */
    } ns_cases[] = {
        {"", 0.2, 0.7, "namespace: empty id"},
        {"p", -0.1, 0.7, "namespace: start -0.1 outside [0, 1)"},
        {"p", 1.0, 1.0, "namespace: start 1 outside [0, 1)"},
        {"p", 0.2, 1.5, "namespace: end 1.5 outside (0, 1]"},
        {"p", 0.7, 0.2, "namespace: start 0.7 must be < end 0.2"},
        {"p", 0.5, 0.5, "namespace: start 0.5 must be < end 0.5"},
        {"\355\240\200", 0.2, 0.7, "namespace: invalid UTF-8 at byte 0 (UTF-16 surrogate encoded)"},
    };
    for (size_t i = 0; i < sizeof ns_cases / sizeof ns_cases[0]; i++) {
        cfg = plain_config(w_half, 2, 1.0);
        cfg.has_namespace = 1;
        cfg.ns_id = ns_cases[i].ns;
        cfg.ns_id_len = strlen(ns_cases[i].ns);
        cfg.ns_lo = ns_cases[i].lo;
        cfg.ns_hi = ns_cases[i].hi;
        ck_assert_int_eq(assign_config_check(&cfg, err, sizeof err), -1);
        ck_assert_str_eq(err, ns_cases[i].msg);
    }
}
END_TEST

Suite *assign_suite(void)
{
    Suite *s = suite_create("assign");
    TCase *core = tcase_create("core");
    TCase *limits = tcase_create("limits");
    TCase *errors = tcase_create("errors");

    tcase_add_test(core, test_golden_vectors);
    tcase_add_test(core, test_golden_covers_all_outcomes);
    tcase_add_test(core, test_fnv_vectors);
    tcase_add_test(core, test_utf16_units);
    tcase_add_test(core, test_range_boundaries);
    tcase_add_test(core, test_reason_names);
    suite_add_tcase(s, core);

    tcase_add_test(limits, test_id_length_bounds);
    tcase_add_test(limits, test_coverage_ramp_keeps_arms);
    tcase_add_test(limits, test_split_proportions);
    tcase_add_test(limits, test_config_limits);
    tcase_set_timeout(limits, 30); /* sanitizer and valgrind runs of the 100k-id loops */
    suite_add_tcase(s, limits);

    tcase_add_test(errors, test_customer_id_errors);
    tcase_add_test(errors, test_hash_invalid_utf8);
    tcase_add_test(errors, test_config_errors);
    suite_add_tcase(s, errors);
    return s;
}
