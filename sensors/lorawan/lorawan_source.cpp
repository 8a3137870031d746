#include "sensors/lorawan/lorawan_source.h"

#include <algorithm>
#include <cstdio>
#include <thread>

namespace farmgate::sensors {
namespace {

constexpr auto kReportEvery = std::chrono::minutes(1);
constexpr auto kSinkRetryMin = std::chrono::milliseconds(100);
constexpr auto kSinkRetryMax = std::chrono::seconds(5);
constexpr std::size_t kMaxUnknownLogged = 256;
// A battery must climb this far above the threshold before it counts as recovered.
constexpr double kBatteryHysteresis = 5;

std::string format(double v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%g", v);
  return buf;
}

}  // namespace

Result<std::unique_ptr<LorawanSource>> LorawanSource::create(const config::ChirpstackSource& source,
                                                             const config::Config& config,
                                                             MqttBus& bus, ReadingSink& sink,
                                                             EventSink& events, Clock& clock,
                                                             Metrics& metrics, Logger& log) {
  for (const auto& d : source.devices) {
    const config::Device* device = config.find_device(d.device);
    if (device == nullptr) {
      return make_error("unknown_device",
                        "source " + source.name + ": device '" + d.device + "' is not configured");
    }
    if (config.find_kind(device->kind) == nullptr) {
      return make_error("unknown_device", "source " + source.name + ": device '" + d.device +
                                              "' has the unknown kind '" + device->kind + "'");
    }
  }
  return std::unique_ptr<LorawanSource>(
      new LorawanSource(source, config, bus, sink, events, clock, metrics, log));
}

LorawanSource::LorawanSource(const config::ChirpstackSource& source, const config::Config& config,
                             MqttBus& bus, ReadingSink& sink, EventSink& events, Clock& clock,
                             Metrics& metrics, Logger& log)
    : source_(source),
      decoder_(source, config),
      bus_(bus),
      sink_(sink),
      events_(events),
      clock_(clock),
      metrics_(metrics),
      log_(log),
      component_("source/" + source.name),
      uplinks_(metrics.counter("farmgate_lorawan_uplinks_total",
                               "LoRaWAN uplinks accepted (duplicates not counted)",
                               {{"source", source.name}})),
      readings_(metrics.counter("farmgate_lorawan_readings_total",
                                "Readings from LoRaWAN events handed to the store",
                                {{"source", source.name}})),
      empty_uplinks_(metrics.counter("farmgate_lorawan_uplinks_without_readings_total",
                                     "LoRaWAN uplinks that held no metric of the device's kind",
                                     {{"source", source.name}})),
      unknown_(metrics.counter("farmgate_lorawan_unknown_device_total",
                               "LoRaWAN events of devEUIs the source does not list",
                               {{"source", source.name}})),
      store_errors_(metrics.counter("farmgate_lorawan_store_errors_total",
                                    "Times a LoRaWAN batch could not be made durable yet",
                                    {{"source", source.name}})) {
  for (const auto& d : source.devices) {
    const Labels labels{{"device", d.device}};
    DeviceState state;
    state.health.device = d.device;
    state.health.dev_eui = d.dev_eui;
    state.duplicates = &metrics.counter("farmgate_lorawan_duplicates_total",
                                        "LoRaWAN uplinks dropped as already seen", labels);
    state.gaps = &metrics.counter("farmgate_lorawan_fcnt_gaps_total",
                                  "LoRaWAN frames missed, from jumps in the frame counter", labels);
    state.resets = &metrics.counter("farmgate_lorawan_fcnt_resets_total",
                                    "LoRaWAN frame counters that started again", labels);
    state.joins = &metrics.counter("farmgate_lorawan_joins_total", "LoRaWAN join events", labels);
    devices_.emplace(d.dev_eui, std::move(state));
    order_.push_back(d.dev_eui);
  }
  // Registered up front so /metrics shows zeros, not gaps, for the common reasons.
  for (const char* reason :
       {"too_large", "unknown_topic", "invalid_json", "not_object", "missing_field", "wrong_type",
        "bad_dev_eui", "dev_eui_mismatch", "out_of_range"}) {
    rejected(reason);
  }
}

Counter& LorawanSource::rejected(const std::string& reason) {
  return metrics_.counter("farmgate_lorawan_rejected_total", "LoRaWAN events refused, by reason",
                          {{"source", source_.name}, {"reason", reason}});
}

Result<void> LorawanSource::start() {
  running_ = true;
  for (const auto& filter : decoder_.filters()) {
    bus_.subscribe(filter, source_.qos, [this](const MqttMessage& m) { on_message(m); });
  }
  return {};
}

void LorawanSource::stop() {
  running_ = false;
}

void LorawanSource::on_message(const MqttMessage& message) {
  if (!running_) return;
  auto decoded =
      decoder_.decode(message.topic, message.payload, clock_.now(), clock_.synchronised());
  if (!decoded) {
    rejected(decoded.error().code).inc();
    report(decoded.error().code, "refused event on " + message.topic + " (" + decoded.error().code +
                                     "): " + decoded.error().message);
    return;
  }
  DecodedLorawan& d = *decoded;
  if (d.mapping == nullptr) {
    unknown_.inc();
    report_unknown(d.dev_eui, message.topic);
    return;
  }
  const std::string& device = d.mapping->device;

  if (d.event == LorawanEvent::join) {
    {
      std::lock_guard lock(mu_);
      DeviceState& state = devices_.at(d.dev_eui);
      state.frames.reset();
      state.joins->inc();
    }
    log_.info(component_, device + " (" + d.dev_eui + ") joined the network" +
                              (d.dev_addr.empty() ? "" : " as " + d.dev_addr));
    return;
  }

  FrameCounter::Outcome frame;
  if (d.event == LorawanEvent::up) {
    std::lock_guard lock(mu_);
    DeviceState& state = devices_.at(d.dev_eui);
    frame = state.frames.check(d.f_cnt, d.deduplication_id);
    if (frame.verdict == FrameCounter::Verdict::duplicate) {
      state.duplicates->inc();
      return;
    }
  }

  if (d.refused) {
    // The frame still arrived: its counter and radio values count, its readings do not.
    rejected(d.refused->code).inc();
    const std::string frame_text =
        d.event == LorawanEvent::up ? " uplink fCnt " + std::to_string(d.f_cnt) : " status event";
    report(d.refused->code, "refused readings of " + device + " (" + d.dev_eui + ")" + frame_text +
                                " (" + d.refused->code + "): " + d.refused->message);
  }
  const std::size_t n = d.readings.size();
  if (n > 0 && !store(d.readings, message.topic)) return;
  readings_.inc(n);

  std::optional<Event> battery_event;
  {
    std::lock_guard lock(mu_);
    DeviceState& state = devices_.at(d.dev_eui);
    if (d.event == LorawanEvent::up) {
      state.frames.accept(d.f_cnt, d.deduplication_id);
      if (frame.verdict == FrameCounter::Verdict::gap) state.gaps->inc(frame.missed);
      if (frame.verdict == FrameCounter::Verdict::reset) state.resets->inc();
    }
    battery_event = record_health(state, d);
  }
  if (d.event == LorawanEvent::up) {
    uplinks_.inc();
    if (n == 0 && !d.refused) empty_uplinks_.inc();
    if (frame.verdict == FrameCounter::Verdict::reset) {
      log_.info(component_, device + " (" + d.dev_eui + ") frame counter started again at " +
                                std::to_string(d.f_cnt));
    }
  }
  if (battery_event) events_.raise(std::move(*battery_event));
}

bool LorawanSource::store(const ReadingBatch& batch, const std::string& topic) {
  // Returning acknowledges a QoS 1 message, so the readings must be durable first; while the
  // store cannot take them (disk full), hold the broker back rather than lose them.
  auto delay = std::chrono::duration_cast<std::chrono::milliseconds>(kSinkRetryMin);
  for (;;) {
    auto r = sink_.accept(batch);
    if (r) return true;
    store_errors_.inc();
    report("store_error", "could not store readings from " + topic + ": " + r.error().message);
    if (!running_) return false;  // shutting down: the broker redelivers what we did not take
    std::this_thread::sleep_for(delay);
    delay = std::min<std::chrono::milliseconds>(delay * 2, kSinkRetryMax);
  }
}

std::optional<Event> LorawanSource::record_health(DeviceState& state, const DecodedLorawan& d) {
  DeviceHealth& h = state.health;
  const std::string& device = h.device;
  if (d.event == LorawanEvent::up) {
    h.last_f_cnt = d.f_cnt;
    h.last_uplink = d.time;
    device_gauge(state.last_uplink, "farmgate_lorawan_last_uplink_timestamp_seconds",
                 "When the device's last uplink was received, seconds since the epoch", device)
        .set(static_cast<double>(to_epoch_ms(d.time)) / 1000.0);
    if (d.rssi) {
      h.rssi_dbm = d.rssi;
      device_gauge(state.rssi, "farmgate_lorawan_rssi_dbm",
                   "RSSI of the device's last uplink at the best gateway, dBm", device)
          .set(*d.rssi);
    }
    if (d.snr) {
      h.snr_db = d.snr;
      device_gauge(state.snr, "farmgate_lorawan_snr_db",
                   "SNR of the device's last uplink at the best gateway, dB", device)
          .set(*d.snr);
    }
  }
  if (!d.battery) return std::nullopt;
  h.battery_percent = d.battery;
  device_gauge(state.battery, "farmgate_lorawan_battery_percent",
               "The device's last reported battery level, %", device)
      .set(*d.battery);

  const double threshold = source_.low_battery_percent;
  if (threshold <= 0) return std::nullopt;
  if (!h.low_battery && *d.battery < threshold) {
    h.low_battery = true;
    return Event{Severity::warning, "low_battery", component_,
                 device + ": battery at " + format(*d.battery) + " %, below " + format(threshold) +
                     " %; replace or charge it soon",
                 clock_.now()};
  }
  if (h.low_battery && *d.battery >= threshold + kBatteryHysteresis) {
    h.low_battery = false;
    return Event{Severity::info, "battery_ok", component_,
                 device + ": battery back at " + format(*d.battery) + " %", clock_.now()};
  }
  return std::nullopt;
}

Gauge& LorawanSource::device_gauge(Gauge*& slot, const char* name, const char* help,
                                   const std::string& device) {
  if (slot == nullptr) slot = &metrics_.gauge(name, help, {{"device", device}});
  return *slot;
}

std::vector<LorawanSource::DeviceHealth> LorawanSource::health() const {
  std::lock_guard lock(mu_);
  std::vector<DeviceHealth> out;
  out.reserve(order_.size());
  for (const auto& eui : order_) out.push_back(devices_.at(eui).health);
  return out;
}

void LorawanSource::report(const std::string& reason, const std::string& line) {
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
  std::string text = line;
  if (muted > 0) text += " [" + std::to_string(muted) + " more like it in the last minute]";
  log_.warn(component_, text);
}

void LorawanSource::report_unknown(const std::string& dev_eui, const std::string& topic) {
  {
    std::lock_guard lock(report_mu_);
    const auto now = clock_.steady_now();
    if (auto it = unknown_logged_.find(dev_eui); it != unknown_logged_.end()) {
      if (now - it->second < kReportEvery) return;
      it->second = now;
    } else {
      if (unknown_logged_.size() >= kMaxUnknownLogged) {
        std::erase_if(unknown_logged_,
                      [&](const auto& entry) { return now - entry.second >= kReportEvery; });
      }
      // Still full: a flood of invented devEUIs; the counter keeps the tally.
      if (unknown_logged_.size() >= kMaxUnknownLogged) return;
      unknown_logged_.emplace(dev_eui, now);
    }
  }
  log_.warn(component_, "ignored event of devEUI " + dev_eui + " on " + topic +
                            ": no device in this source has it (add it under devices: with "
                            "dev_eui: \"" +
                            dev_eui + "\")");
}

}  // namespace farmgate::sensors
