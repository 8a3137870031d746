// The farmgate-sim command line, parsed into one plain struct. Pure; any thread.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "core/result.h"
#include "core/time.h"
#include "sensors/sim/farm_model.h"
#include "sensors/sim/field_picture.h"

namespace farmgate::sim {

struct SimOptions {
  std::string url = "tcp://127.0.0.1:1883";
  std::string client_id = "farmgate-sim";
  int qos = 0;
  // Total messages per second, bad ones included; 0 = as fast as the broker takes them.
  double rate = 1;
  std::optional<std::uint64_t> count;  // unset: until SIGINT/SIGTERM
  int devices = 0;                     // 0: the two reference devices; N: load mode
  std::vector<std::string> zones{"z1", "z2"};
  Millis interval{60'000};
  std::optional<double> speed;           // if set, the rate follows simulated time instead
  std::optional<std::int64_t> start_ts;  // epoch ms; unset: now
  std::uint64_t bad_every = 0;
  std::uint64_t seed = 1;
  bool quiet = false;
  std::chrono::seconds drain_timeout{60};
  std::chrono::seconds connect_timeout{30};
  // Unacknowledged QoS 1 messages at once; the window of unconfirmed messages is 4x this.
  // 500 gives >20,000 msg/s on a busy two-core machine; more buys little.
  int max_inflight = 500;
  // Relay ids whose cmnd/<id>/POWER the simulator answers on stat/<id>/POWER (--relays a,b).
  std::vector<std::string> relays;
  // The farm behind the relays (see farm_model.h): --pump-relay, --valve-relays, --flow-lpm,
  // --tank-litres, --fault and friends. Used in farm mode only.
  FarmParams farm;
  Millis report_interval{10'000};  // flow meter and tank, in simulated time
  // The simulated Modbus TCP soil probe (probe_slave.h) and IP camera (snapshot_server.h), both
  // on 127.0.0.1, each only when its port is given (0: the kernel picks and the log says which).
  std::optional<unsigned short> modbus_port;
  int modbus_unit = 1;
  std::string modbus_zone = "z2";  // whose soil the probe reads: one of farm.zones
  std::optional<unsigned short> camera_port;
  CanopyGrowth canopy;
  bool help = false;

  // Relays played for the reference devices: the relays drive the FarmModel, whose flow meter
  // and tank are published too. Load mode plays the relays but keeps its soil-only stream.
  bool farm_mode() const { return !relays.empty() && devices == 0; }
  // The probe or the camera is asked for: they need a FarmModel, in any mode.
  bool serves_devices() const { return modbus_port.has_value() || camera_port.has_value(); }
  // Simulated seconds per wall second: --speed, or what --rate makes of the reading interval.
  double sim_speed(std::size_t device_count) const;

  // Messages per second the run aims at: --rate, or with --speed the rate at which every device
  // reports once per interval of simulated time. 0 = unpaced.
  double effective_rate(std::size_t device_count) const;
};

// `args` excludes the program name. On error: code "usage" and a one-line message.
Result<SimOptions> parse_options(const std::vector<std::string>& args);

std::string usage();

}  // namespace farmgate::sim
