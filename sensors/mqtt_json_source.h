// MqttJsonSource: JSON telemetry from field devices over MQTT (config type `mqtt_json`).
// Subscribes through the shared MqttBus, decodes each message with JsonDecoder and hands accepted
// batches to the ReadingSink before the handler returns, which is what makes the QoS 1
// acknowledgement that follows safe (see core/sink.h).
//
// Self-metrics: farmgate_ingest_accepted_total{source}, farmgate_ingest_readings_total{source},
// farmgate_ingest_rejected_total{source,reason}, farmgate_ingest_ignored_keys_total{source}.
// Refusals are logged at most once a minute per reason, with the topic and the reason, so a
// misbehaving sensor cannot flood the journal.
//
// Threads: constructed and started on the owner thread; messages are handled on the MQTT
// client's thread.
#pragma once

#include <atomic>
#include <map>
#include <mutex>
#include <optional>
#include <string>

#include "config/config.h"
#include "core/clock.h"
#include "core/log.h"
#include "core/metrics.h"
#include "core/mqtt.h"
#include "core/sink.h"
#include "sensors/json_decoder.h"
#include "sensors/source.h"

namespace farmgate::sensors {

class MqttJsonSource final : public Source {
 public:
  // Fails when the topic pattern is invalid (the config loader checks it first).
  static Result<std::unique_ptr<MqttJsonSource>> create(const config::MqttJsonSource& source,
                                                        const config::Config& config,
                                                        MqttBus& bus, ReadingSink& sink,
                                                        Clock& clock, Metrics& metrics,
                                                        Logger& log);

  const std::string& name() const override { return source_.name; }
  Result<void> start() override;
  void stop() override;

  // The handler the bus calls; public so tests can drive it without a broker.
  void on_message(const MqttMessage& message);

 private:
  MqttJsonSource(const config::MqttJsonSource& source, const config::Config& config,
                 TopicPattern pattern, MqttBus& bus, ReadingSink& sink, Clock& clock,
                 Metrics& metrics, Logger& log);
  Counter& rejected(const std::string& reason);
  void report(const std::string& reason, const std::string& topic, const std::string& why);

  const config::MqttJsonSource& source_;
  TopicPattern pattern_;
  JsonDecoder decoder_;
  MqttBus& bus_;
  ReadingSink& sink_;
  Clock& clock_;
  Metrics& metrics_;
  Logger& log_;
  std::atomic<bool> running_{false};

  Counter& accepted_;
  Counter& readings_;
  Counter& ignored_;
  Counter& sink_errors_;
  std::mutex report_mu_;
  struct Muted {
    std::optional<SteadyTime> last;  // when this reason was last logged
    std::uint64_t count = 0;         // refusals not logged since
  };
  std::map<std::string, Muted> last_report_;
};

}  // namespace farmgate::sensors
