// LorawanSource: LoRaWAN sensors behind a ChirpStack v4 server (config type `chirpstack`).
// Subscribes through the shared MqttBus to the up, status and join events of ChirpStack's MQTT
// integration, decodes each with ChirpstackDecoder and hands the readings of a listed device to
// the ReadingSink before the handler returns (the QoS 1 acknowledgement follows; core/sink.h).
//
// Per device (by devEUI):
// - An uplink whose fCnt was just accepted is dropped (FrameCounter); frames that never came are
//   counted, a counter that starts again (rejoin, reboot) is not a gap, and a join event starts
//   the count afresh.
// - Radio and battery are kept as health, also when the kind does not store them as readings.
// - A battery below low_battery_percent raises one `low_battery` warning event; `battery_ok`
//   (info) follows once it is 5 points above the threshold again, so a level that wobbles around
//   it does not raise an event per uplink.
// An event of a devEUI the source does not list is counted and ignored, logged at most once a
// minute per devEUI. Refusals are logged at most once a minute per reason.
//
// Self-metrics ({source} = the source name, {device} = the farmgate device id):
//   farmgate_lorawan_uplinks_total{source}                uplinks accepted (duplicates not)
//   farmgate_lorawan_readings_total{source}               readings handed to the sink
//   farmgate_lorawan_uplinks_without_readings_total{source}  uplinks with no metric of the kind
//   farmgate_lorawan_rejected_total{source,reason}        events refused (decoder reasons)
//   farmgate_lorawan_unknown_device_total{source}         events of devEUIs not listed
//   farmgate_lorawan_store_errors_total{source}           times the sink could not take a batch
//   farmgate_lorawan_duplicates_total{device}             uplinks dropped as already seen
//   farmgate_lorawan_fcnt_gaps_total{device}              frames missed (fCnt jumps)
//   farmgate_lorawan_fcnt_resets_total{device}            frame counters that started again
//   farmgate_lorawan_joins_total{device}                  join events
//   farmgate_lorawan_rssi_dbm{device}, farmgate_lorawan_snr_db{device},
//   farmgate_lorawan_battery_percent{device},
//   farmgate_lorawan_last_uplink_timestamp_seconds{device} (the gauges appear with the first
//   value).
//
// Threads: created, started and stopped on the owner thread; on_message() runs on the MQTT
// client's thread (one message at a time); health() may be called from any thread.
#pragma once

#include <atomic>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "config/config.h"
#include "core/clock.h"
#include "core/event.h"
#include "core/log.h"
#include "core/metrics.h"
#include "core/mqtt.h"
#include "core/sink.h"
#include "sensors/lorawan/chirpstack_decoder.h"
#include "sensors/lorawan/frame_counter.h"
#include "sensors/source.h"

namespace farmgate::sensors {

class LorawanSource final : public Source {
 public:
  // `source` and `config` must outlive the source. Fails when a listed device or its kind is not
  // in `config` (the config loader refuses such files first).
  static Result<std::unique_ptr<LorawanSource>> create(const config::ChirpstackSource& source,
                                                       const config::Config& config, MqttBus& bus,
                                                       ReadingSink& sink, EventSink& events,
                                                       Clock& clock, Metrics& metrics, Logger& log);

  const std::string& name() const override { return source_.name; }
  // Subscribes to <topic_prefix>/+/device/+/event/{up,status,join}.
  Result<void> start() override;
  void stop() override;

  // The handler the bus calls; public so tests can drive it without a broker.
  void on_message(const MqttMessage& message);

  // What the source last heard from each listed device, in config order.
  struct DeviceHealth {
    std::string device;
    std::string dev_eui;
    std::optional<double> rssi_dbm;
    std::optional<double> snr_db;
    std::optional<double> battery_percent;
    std::optional<Timestamp> last_uplink;
    std::optional<std::uint32_t> last_f_cnt;
    bool low_battery = false;
  };
  std::vector<DeviceHealth> health() const;

 private:
  struct DeviceState {
    DeviceHealth health;
    FrameCounter frames;
    Counter* duplicates;
    Counter* gaps;
    Counter* resets;
    Counter* joins;
    Gauge* rssi = nullptr;  // registered with their first value
    Gauge* snr = nullptr;
    Gauge* battery = nullptr;
    Gauge* last_uplink = nullptr;
  };

  LorawanSource(const config::ChirpstackSource& source, const config::Config& config, MqttBus& bus,
                ReadingSink& sink, EventSink& events, Clock& clock, Metrics& metrics, Logger& log);
  Counter& rejected(const std::string& reason);
  // Hands the batch over until it is durable; false when stopped before it was.
  bool store(const ReadingBatch& batch, const std::string& topic);
  // Updates health from an accepted event; returns the battery event to raise, if any.
  std::optional<Event> record_health(DeviceState& state, const DecodedLorawan& d);
  void report(const std::string& reason, const std::string& line);
  void report_unknown(const std::string& dev_eui, const std::string& topic);
  Gauge& device_gauge(Gauge*& slot, const char* name, const char* help, const std::string& device);

  const config::ChirpstackSource& source_;
  ChirpstackDecoder decoder_;
  MqttBus& bus_;
  ReadingSink& sink_;
  EventSink& events_;
  Clock& clock_;
  Metrics& metrics_;
  Logger& log_;
  const std::string component_;  // "source/<name>", for the log
  std::atomic<bool> running_{false};

  Counter& uplinks_;
  Counter& readings_;
  Counter& empty_uplinks_;
  Counter& unknown_;
  Counter& store_errors_;

  mutable std::mutex mu_;                                    // guards devices_' states
  std::map<std::string, DeviceState, std::less<>> devices_;  // by devEUI; keys fixed at creation
  std::vector<std::string> order_;                           // devEUIs in config order

  std::mutex report_mu_;
  struct Muted {
    std::optional<SteadyTime> last;  // when this reason was last logged
    std::uint64_t count = 0;         // refusals not logged since
  };
  std::map<std::string, Muted> last_report_;
  // When each unknown devEUI was last logged. Bounded: anyone on the broker can invent devEUIs.
  std::map<std::string, SteadyTime> unknown_logged_;
};

}  // namespace farmgate::sensors
