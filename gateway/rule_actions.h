// RuleActions: what the rules engine may do, as the gateway does it — irrigation goes through
// the safety supervisor like every other command source (so max_runtime, interlocks, min_off and
// the flow checks hold for rules too), alarms go to the event hub, messages to the MQTT bus.
//
// Threads: the io_context thread, like the supervisor and the engine.
#pragma once

#include "actuators/supervisor.h"
#include "core/event.h"
#include "core/mqtt.h"
#include "rules/engine.h"

namespace farmgate::gateway {

class RuleActions final : public rules::ActionSink {
 public:
  RuleActions(actuators::Supervisor& supervisor, EventSink& events, MqttBus& bus, Clock& clock)
      : supervisor_(supervisor), events_(events), bus_(bus), clock_(clock) {}

  Result<std::uint64_t> irrigate(const std::string& zone, Millis duration,
                                 const std::string& who) override;
  Result<void> stop(const std::string& zone, const std::string& why,
                    const std::string& who) override;
  bool zone_running(const std::string& zone) const override;
  bool run_active(std::uint64_t run_id) const override;
  void alarm(Severity s, const std::string& code, const std::string& message) override;
  void publish(const std::string& topic, const std::string& payload, bool retain) override;

 private:
  actuators::Supervisor& supervisor_;
  EventSink& events_;
  MqttBus& bus_;
  Clock& clock_;
};

}  // namespace farmgate::gateway
