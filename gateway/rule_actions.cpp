#include "gateway/rule_actions.h"

namespace farmgate::gateway {

Result<std::uint64_t> RuleActions::irrigate(const std::string& zone, Millis duration,
                                            const std::string& who) {
  auto grant = supervisor_.irrigate(zone, duration, actuators::RunReason::rule, who);
  if (!grant) return grant.error();
  return grant->run_id;
}

Result<void> RuleActions::stop(const std::string& zone, const std::string& why,
                               const std::string& who) {
  return supervisor_.stop_zone(zone, why, who);
}

bool RuleActions::zone_running(const std::string& zone) const {
  for (const auto& z : supervisor_.zones()) {
    if (z.zone == zone) return z.run.has_value();
  }
  return false;
}

bool RuleActions::run_active(std::uint64_t run_id) const {
  for (const auto& z : supervisor_.zones()) {
    if (z.run && z.run->id == run_id) return true;
  }
  return false;
}

void RuleActions::alarm(Severity s, const std::string& code, const std::string& message) {
  events_.raise(Event{s, code, "rules", message, clock_.now()});
}

void RuleActions::publish(const std::string& topic, const std::string& payload, bool retain) {
  bus_.publish(topic, payload, 1, retain);
}

}  // namespace farmgate::gateway
