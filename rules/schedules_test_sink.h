// A recording ActionSink for the schedule and program tests: it plays a supervisor (a run lasts
// its duration on the clock unless stopped; refuse_with makes irrigations fail) and keeps every
// call with the local time it came at. Test code only; one thread.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "core/clock.h"
#include "rules/engine.h"

namespace farmgate::rules::testing {

class RecordingSink final : public ActionSink {
 public:
  explicit RecordingSink(const Clock& clock) : clock_(clock) {}

  Result<std::uint64_t> irrigate(const std::string& zone, Millis duration,
                                 const std::string& who) override {
    if (!refuse_with.empty()) return make_error("refused", refuse_with);
    calls.push_back(stamp() + " irrigate " + zone + " " + std::to_string(duration.count() / 1000) +
                    "s " + who);
    running_until[zone] = clock_.now() + duration;
    running_id[zone] = ++next_id_;
    return next_id_;
  }
  Result<void> stop(const std::string& zone, const std::string& why,
                    const std::string& who) override {
    calls.push_back(stamp() + " stop " + zone + " (" + why + ") " + who);
    running_until.erase(zone);
    return {};
  }
  bool zone_running(const std::string& zone) const override {
    const auto it = running_until.find(zone);
    return it != running_until.end() && clock_.now() < it->second;
  }
  bool run_active(std::uint64_t run_id) const override {
    for (const auto& [zone, id] : running_id) {
      if (id == run_id && zone_running(zone)) return true;
    }
    return false;
  }
  void alarm(Severity s, const std::string& code, const std::string& message) override {
    alarms.push_back(std::string(to_string(s)) + " " + code);
    alarm_messages.push_back(message);
  }
  void publish(const std::string&, const std::string&, bool) override {}

  std::vector<std::string> calls;
  std::vector<std::string> alarms;
  std::vector<std::string> alarm_messages;
  std::map<std::string, Timestamp> running_until;
  std::map<std::string, std::uint64_t> running_id;  // the zone's latest run
  std::string refuse_with;

 private:
  // "HH:MM:SS" of the clock in UTC (the tests pick UTC or say which offset they expect).
  std::string stamp() const {
    const auto ms = to_epoch_ms(clock_.now());
    const auto s = ((ms / 1000) % 86'400 + 86'400) % 86'400;
    char buf[16];
    std::snprintf(buf, sizeof buf, "%02lld:%02lld:%02lld", static_cast<long long>(s / 3600),
                  static_cast<long long>(s / 60 % 60), static_cast<long long>(s % 60));
    return buf;
  }

  const Clock& clock_;
  std::uint64_t next_id_ = 0;
};

}  // namespace farmgate::rules::testing
