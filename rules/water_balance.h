// Root-zone water balance of FAO-56 chapter 8 (Allen et al. 1998): how much water the root zone
// holds (TAW, RAW), the daily depletion update, the water stress coefficient Ks, when to
// irrigate (management allowed depletion), and how long to run a zone to refill it. Depths are
// in mm of water, which is litres per m². Pure functions; any thread.
#pragma once

#include "core/result.h"
#include "core/time.h"

namespace farmgate::rules::fao56 {

// eq. 82: TAW = 1000 (θFC − θWP) Zr, mm; θ in m³/m³, root depth Zr in m.
double total_available_water(double theta_fc, double theta_wp, double root_depth_m);
// eq. 83: RAW = p TAW, with p the fraction of TAW a crop can take without stress (Table 22).
double readily_available_water(double p, double taw_mm);
// Table 22's footnote: p from the table (for ETc ≈ 5 mm/day) adjusted to the day's ETc,
// p = p_table + 0.04 (5 − ETc), kept within 0.1..0.8.
double depletion_fraction_for_etc(double p_table, double etc_mm);
// eq. 84: 1 while Dr ≤ RAW, then falling linearly to 0 at Dr = TAW.
double water_stress_coefficient(double depletion_mm, double taw_mm, double raw_mm);

struct DayWater {
  double precipitation_mm = 0;
  double runoff_mm = 0;      // of that precipitation
  double irrigation_mm = 0;  // net depth that reached the root zone
  double etc_mm = 0;         // crop ET of the day; under stress pass Ks·Kc·ET0 (eq. 80)
};

struct DepletionStep {
  double depletion_mm = 0;         // Dr,i, within 0..TAW
  double deep_percolation_mm = 0;  // water beyond field capacity that drained away (eq. 88)
};

// eq. 85 without capillary rise: Dr,i = Dr,i−1 − (P − RO) − I + ETc, then kept within 0..TAW:
// what would push it below 0 leaves as deep percolation, and a root zone at wilting point
// loses no more.
DepletionStep update_depletion(double previous_depletion_mm, const DayWater& day, double taw_mm);

// True once depletion has reached the management allowed depletion, a fraction of TAW chosen
// by the grower (often p itself, so that the crop never sees stress).
bool irrigation_due(double depletion_mm, double taw_mm, double mad_fraction);

struct IrrigationRun {
  double net_mm = 0;    // what the root zone should receive
  double gross_mm = 0;  // what the emitters must deliver: net / efficiency
  double litres = 0;    // gross depth × area
  double minutes = 0;   // litres / flow
  Millis duration{0};   // minutes, rounded up to a whole second
};

// The run that puts `net_depth_mm` into a zone of `area_m2` watered with `efficiency` (0..1,
// e.g. 0.9 for drip) at `flow_lpm` litres per minute. Error "bad_irrigation" for a negative
// depth, a non-positive area or flow, or an efficiency outside (0, 1].
Result<IrrigationRun> plan_irrigation(double net_depth_mm, double area_m2, double efficiency,
                                      double flow_lpm);

}  // namespace farmgate::rules::fao56
