#include "rules/water_balance.h"

#include <algorithm>
#include <cmath>
#include <string>

namespace farmgate::rules::fao56 {

double total_available_water(double theta_fc, double theta_wp, double root_depth_m) {
  return 1000.0 * std::max(0.0, theta_fc - theta_wp) * std::max(0.0, root_depth_m);
}

double readily_available_water(double p, double taw_mm) {
  return p * taw_mm;
}

double depletion_fraction_for_etc(double p_table, double etc_mm) {
  return std::clamp(p_table + 0.04 * (5.0 - etc_mm), 0.1, 0.8);
}

double water_stress_coefficient(double depletion_mm, double taw_mm, double raw_mm) {
  if (depletion_mm <= raw_mm) return 1.0;
  if (taw_mm <= raw_mm) return 0.0;
  return std::clamp((taw_mm - depletion_mm) / (taw_mm - raw_mm), 0.0, 1.0);
}

DepletionStep update_depletion(double previous_depletion_mm, const DayWater& day, double taw_mm) {
  const double raw = previous_depletion_mm - (day.precipitation_mm - day.runoff_mm) -
                     day.irrigation_mm + day.etc_mm;
  DepletionStep step;
  step.deep_percolation_mm = std::max(0.0, -raw);
  step.depletion_mm = std::clamp(raw, 0.0, std::max(0.0, taw_mm));
  return step;
}

bool irrigation_due(double depletion_mm, double taw_mm, double mad_fraction) {
  return depletion_mm >= mad_fraction * taw_mm;
}

Result<IrrigationRun> plan_irrigation(double net_depth_mm, double area_m2, double efficiency,
                                      double flow_lpm) {
  // Written so that NaN fails every check too.
  if (!(net_depth_mm >= 0) || !(area_m2 > 0) || !(efficiency > 0 && efficiency <= 1) ||
      !(flow_lpm > 0)) {
    return make_error("bad_irrigation",
                      "cannot plan a run for depth " + std::to_string(net_depth_mm) + " mm, area " +
                          std::to_string(area_m2) + " m², efficiency " +
                          std::to_string(efficiency) + ", flow " + std::to_string(flow_lpm) +
                          " L/min: need depth ≥ 0, area > 0, 0 < efficiency ≤ 1, flow > 0");
  }
  IrrigationRun run;
  run.net_mm = net_depth_mm;
  run.gross_mm = net_depth_mm / efficiency;
  run.litres = run.gross_mm * area_m2;  // 1 mm over 1 m² is 1 L
  run.minutes = run.litres / flow_lpm;
  run.duration = Millis{static_cast<std::int64_t>(std::ceil(run.minutes * 60.0)) * 1000};
  return run;
}

}  // namespace farmgate::rules::fao56
