#include "gateway/events.h"

#include "core/health.h"

namespace farmgate::gateway {

EventHub::EventHub(std::string site, Logger& log, Metrics& metrics)
    : site_(std::move(site)),
      topic_("farmgate/" + site_ + "/alarms"),
      log_(log),
      metrics_(metrics) {}

void EventHub::attach(store::Store* store, MqttBus* bus) {
  store_ = store;
  bus_ = bus;
}

std::string EventHub::to_json(const Event& e) const {
  std::string out = "{\"site\":";
  append_json_string(out, site_);
  out += ",\"severity\":";
  append_json_string(out, to_string(e.severity));
  out += ",\"code\":";
  append_json_string(out, e.code);
  out += ",\"source\":";
  append_json_string(out, e.source);
  out += ",\"message\":";
  append_json_string(out, e.message);
  out += ",\"ts\":" + std::to_string(to_epoch_ms(e.time)) + "}";
  return out;
}

void EventHub::raise(Event event) {
  metrics_
      .counter("farmgate_events_total", "Events and alarms raised",
               {{"severity", to_string(event.severity)}, {"code", event.code}})
      .inc();
  const LogLevel level = event.severity == Severity::alarm     ? LogLevel::error
                         : event.severity == Severity::warning ? LogLevel::warning
                                                               : LogLevel::info;
  log_.log(level, event.source, event.code + ": " + event.message);
  const bool notable = event.severity != Severity::info;
  if (notable) {
    if (MqttBus* bus = bus_.load()) bus->publish(topic_, to_json(event), 1, false);
  }
  store::Store* store = store_.load();
  if (store == nullptr) {
    if (EventSink* tap = tap_.load(); tap != nullptr && notable) tap->raise(std::move(event));
    return;
  }
  if (!notable || tap_.load() == nullptr) return store->submit(std::move(event));
  // The page hears of an alarm once it has its row id, so that it can be acknowledged.
  Event copy = event;
  store->submit(std::move(event), [this, copy = std::move(copy)](std::int64_t id) mutable {
    copy.id = id;
    if (EventSink* tap = tap_.load()) tap->raise(std::move(copy));
  });
}

}  // namespace farmgate::gateway
