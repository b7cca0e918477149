/* units: the Unit of every Estimate of a report (proto: Estimate.unit), set in one place so that
 * the renderers and clients read units from the report instead of from field names. */
#ifndef LIFT_UNITS_H
#define LIFT_UNITS_H

#include "lift.pb-c.h"

/* Set `unit` on every Estimate in rep (arms, comparisons, segments, weekly points). */
void units_fill(Lift__Report *rep);

#endif
