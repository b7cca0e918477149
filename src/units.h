/* units: the Unit of every Estimate of a report (proto: Estimate.unit), set in one place so that
 * the renderers and clients read units from the report instead of from field names. */
#ifndef LIFT_UNITS_H
#define LIFT_UNITS_H

#include "lift.pb-c.h"

/* Set `unit` on every Estimate in rep (arms, comparisons, segments, weekly points). */
void report_units(Lift__Report *rep);

/* The short lower-case name of a unit ("minor", "fraction", "fraction_difference",
 * "nps_points"), or NULL for UNIT_UNSPECIFIED and values this build does not know. */
const char *lift_unit_name(int unit);

#endif
