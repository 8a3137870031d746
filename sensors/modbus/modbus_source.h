// ModbusSource: polls the devices of one Modbus bus (config type `modbus`: an RS485 line in RTU
// mode, or one Modbus TCP endpoint) and hands each poll's readings to the ReadingSink as one
// batch. Documented for users in docs/sensors/modbus.md.
//
// One worker thread owns the bus (a ModbusLink): it polls the due devices in turn, earliest due
// first, leaves frame_gap of silence between two requests, and sleeps until the next device is
// due. A failed request is tried again `retries` times, except for a device already declared
// offline: a dead probe costs the bus one timeout per poll, so the others stay on time. When the
// link drops (USB adapter unplugged, TCP gateway restarted) it is reopened with backoff (1 s to
// 30 s); meanwhile the polls fail and count towards the devices' offline alarms.
//
// Per device: `modbus_device_offline` (Severity::alarm) after offline_after consecutive failed
// polls, `modbus_device_online` (info) when it answers again. A poll whose values are refused
// (out of range, not finite) counts as an answer but hands over nothing. Refusals and failures
// are logged at most once a minute per device and reason.
//
// Health component "modbus/<name>": up while every device answers, degraded while some are
// offline, down while the link cannot be opened or no device answers.
//
// Self-metrics, per source: farmgate_modbus_connected, farmgate_modbus_connects_total,
// farmgate_modbus_requests_total, farmgate_modbus_request_errors_total{reason},
// farmgate_modbus_store_errors_total; per device: farmgate_modbus_polls_total,
// farmgate_modbus_poll_failures_total, farmgate_modbus_consecutive_failures,
// farmgate_modbus_last_success_timestamp_seconds, farmgate_modbus_device_offline,
// farmgate_modbus_readings_total, farmgate_modbus_rejected_total{reason}.
//
// Threads: construct, start() and stop() on the owner thread. stop() returns within about one
// response timeout (a request in flight is not interrupted) and joins the worker; after it
// returns nothing more is handed to the sinks. The sinks, Health, Metrics and Logger are called
// from the worker thread. Intervals use Clock::steady_now(); the worker waits in real time.
#pragma once

#include <condition_variable>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "config/config.h"
#include "core/clock.h"
#include "core/event.h"
#include "core/health.h"
#include "core/log.h"
#include "core/metrics.h"
#include "core/sink.h"
#include "sensors/modbus/device_decoder.h"
#include "sensors/modbus/link.h"
#include "sensors/source.h"

namespace farmgate::sensors::modbus {

class ModbusSource final : public Source {
 public:
  // `source` and `config` must outlive this object (the Config is immutable once loaded).
  ModbusSource(const config::ModbusSource& source, const config::Config& config, ReadingSink& sink,
               EventSink& events, Health& health, Metrics& metrics, Clock& clock, Logger& log);
  ~ModbusSource() override;
  ModbusSource(const ModbusSource&) = delete;
  ModbusSource& operator=(const ModbusSource&) = delete;

  const std::string& name() const override { return source_.name; }
  // Starts the worker, which opens the bus; a bus that cannot be opened yet is not an error
  // here (it is retried, and reported through Health and the offline alarms).
  Result<void> start() override;
  void stop() override;

 private:
  struct Device;
  class LogLimiter;

  void run();
  void poll(Device& d);
  bool connect();
  void failed(Device& d, const Error& why);
  void answered(Device& d, const std::vector<std::vector<std::uint16_t>>& words);
  void update_health();
  // False when stop() was called first.
  bool wait_until(SteadyTime t);
  Counter& request_errors(const std::string& reason);
  Counter& rejected(const Device& d, const std::string& reason);

  const config::ModbusSource& source_;
  ReadingSink& sink_;
  EventSink& events_;
  Health& health_;
  Metrics& metrics_;
  Clock& clock_;
  Logger& log_;
  const std::string component_;  // "modbus/<name>"

  std::vector<std::unique_ptr<Device>> devices_;
  ModbusLink link_;
  std::unique_ptr<LogLimiter> limiter_;
  std::optional<SteadyTime> last_request_;  // when the bus last fell silent
  SteadyTime reconnect_at_{};
  Millis backoff_;
  std::string link_error_;
  Health::Status last_status_ = Health::Status::up;
  std::string last_detail_;

  Gauge& connected_;
  Counter& connects_;
  Counter& requests_;
  Counter& store_errors_;

  std::mutex mu_;
  std::condition_variable wake_;
  bool stopping_ = false;  // guarded by mu_
  std::thread worker_;
};

}  // namespace farmgate::sensors::modbus
