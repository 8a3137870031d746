// EventHub: the gateway's EventSink. Every event is logged; it is stored once the store is
// attached, and warnings and alarms are published as JSON on farmgate/<site>/alarms once the
// MQTT bus is attached. Events raised before that (during start-up) are logged only.
// Any thread; attach() on the owner thread during start-up, detach() before the parts go away.
#pragma once

#include <atomic>
#include <string>

#include "core/event.h"
#include "core/log.h"
#include "core/metrics.h"
#include "core/mqtt.h"
#include "gateway/store/store.h"

namespace farmgate::gateway {

class EventHub final : public EventSink {
 public:
  EventHub(std::string site, Logger& log, Metrics& metrics);

  void attach(store::Store* store, MqttBus* bus);
  void detach() {
    attach(nullptr, nullptr);
    tap(nullptr);
  }
  // Warnings and alarms are also handed to `sink` (the web page's live stream) with their row id,
  // on the store thread once stored (on the raising thread, id 0, while no store is attached);
  // it must only hand off. The hub must outlive the attached store.
  void tap(EventSink* sink) { tap_ = sink; }

  void raise(Event event) override;

  // The JSON published for an event.
  std::string to_json(const Event& event) const;

 private:
  const std::string site_;
  const std::string topic_;
  Logger& log_;
  Metrics& metrics_;
  std::atomic<store::Store*> store_{nullptr};
  std::atomic<MqttBus*> bus_{nullptr};
  std::atomic<EventSink*> tap_{nullptr};
};

}  // namespace farmgate::gateway
