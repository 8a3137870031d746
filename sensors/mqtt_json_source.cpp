#include "sensors/mqtt_json_source.h"

#include <thread>

namespace farmgate::sensors {
namespace {

constexpr auto kReportEvery = std::chrono::minutes(1);
constexpr auto kSinkRetryMin = std::chrono::milliseconds(100);
constexpr auto kSinkRetryMax = std::chrono::seconds(5);

}  // namespace

Result<std::unique_ptr<MqttJsonSource>> MqttJsonSource::create(
    const config::MqttJsonSource& source, const config::Config& config, MqttBus& bus,
    ReadingSink& sink, Clock& clock, Metrics& metrics, Logger& log) {
  auto pattern = TopicPattern::parse(source.topic);
  if (!pattern) return pattern.error();
  return std::unique_ptr<MqttJsonSource>(
      new MqttJsonSource(source, config, *pattern, bus, sink, clock, metrics, log));
}

MqttJsonSource::MqttJsonSource(const config::MqttJsonSource& source, const config::Config& config,
                               TopicPattern pattern, MqttBus& bus, ReadingSink& sink,
                               Clock& clock, Metrics& metrics, Logger& log)
    : source_(source),
      pattern_(pattern),
      decoder_(source, config, std::move(pattern)),
      bus_(bus),
      sink_(sink),
      clock_(clock),
      metrics_(metrics),
      log_(log),
      accepted_(metrics.counter("farmgate_ingest_accepted_total", "Messages accepted and stored",
                                {{"source", source.name}})),
      readings_(metrics.counter("farmgate_ingest_readings_total", "Readings accepted",
                                {{"source", source.name}})),
      ignored_(metrics.counter("farmgate_ingest_ignored_keys_total",
                               "Payload keys that are not metrics of the device's kind",
                               {{"source", source.name}})),
      sink_errors_(metrics.counter("farmgate_ingest_store_errors_total",
                                   "Times an accepted message could not be made durable yet",
                                   {{"source", source.name}})) {
  // Registered up front so /metrics shows zeros, not gaps, for the common reasons.
  for (const char* reason : {"too_large", "unknown_topic", "unknown_device", "zone_mismatch",
                             "invalid_json", "not_object", "wrong_type", "out_of_range",
                             "bad_timestamp", "no_metrics"}) {
    rejected(reason);
  }
}

Counter& MqttJsonSource::rejected(const std::string& reason) {
  return metrics_.counter("farmgate_ingest_rejected_total", "Messages refused, by reason",
                          {{"source", source_.name}, {"reason", reason}});
}

Result<void> MqttJsonSource::start() {
  running_ = true;
  bus_.subscribe(pattern_.listen_filter(), source_.qos,
                 [this](const MqttMessage& m) { on_message(m); });
  return {};
}

void MqttJsonSource::stop() { running_ = false; }

void MqttJsonSource::on_message(const MqttMessage& message) {
  if (!running_) return;
  auto decoded = decoder_.decode(message.topic, message.payload, clock_.now(),
                                 clock_.synchronised());
  if (!decoded) {
    rejected(decoded.error().code).inc();
    report(decoded.error().code, message.topic, decoded.error().message);
    return;
  }
  const std::size_t n = decoded->readings.size();
  ignored_.inc(decoded->ignored_keys);
  // Returning acknowledges a QoS 1 message, so an accepted message must be durable first; while
  // the store cannot take it (disk full), hold the broker back rather than lose it.
  auto delay = std::chrono::duration_cast<std::chrono::milliseconds>(kSinkRetryMin);
  for (;;) {
    auto r = sink_.accept(decoded->readings);
    if (r) break;
    sink_errors_.inc();
    report("store_error", message.topic, r.error().message);
    if (!running_) return;  // shutting down: the journal/broker redelivery is all we have left
    std::this_thread::sleep_for(delay);
    delay = std::min<std::chrono::milliseconds>(delay * 2, kSinkRetryMax);
  }
  accepted_.inc();
  readings_.inc(n);
}

void MqttJsonSource::report(const std::string& reason, const std::string& topic,
                            const std::string& why) {
  std::uint64_t muted = 0;
  {
    std::lock_guard lock(report_mu_);
    auto& m = last_report_[reason];
    const auto now = clock_.steady_now();
    if (m.last && now - *m.last < kReportEvery) {
      ++m.count;
      return;
    }
    muted = m.count;
    m.last = now;
    m.count = 0;
  }
  std::string line = "refused message on " + topic + " (" + reason + "): " + why;
  if (muted > 0) line += " [" + std::to_string(muted) + " more like it in the last minute]";
  log_.warn("source/" + source_.name, line);
}

}  // namespace farmgate::sensors
