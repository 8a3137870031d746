// ProbeSlave: the simulator's Modbus TCP soil probe, a "7-in-1" probe in the layout of
// farmgate's built-in profile soil-7in1 (config/modbus_schema.cpp, docs/sensors/modbus.md):
// holding registers 0x0000-0x0006 = moisture ×10 (%), temperature ×10 (int16, °C), EC in µS/cm,
// pH ×10, nitrogen, phosphorus, potassium (mg/kg). It answers one unit id on 127.0.0.1, serving
// any number of clients, from a thread of its own: every request asks `read` for the current
// values (read runs on that thread, so it must be thread-safe; FarmLink::probe_soil is). Requests
// for another unit id go unanswered, as an absent probe's would; registers outside the block get
// the "illegal data address" exception.
//
// Construct through start(); the destructor closes every connection and joins the thread.
#pragma once

#include <array>
#include <cstdint>
#include <functional>
#include <memory>
#include <thread>

#include "core/result.h"
#include "sensors/sim/loopback.h"
#include "sensors/sim/soil_model.h"

namespace farmgate::sim {

inline constexpr int kProbeRegisters = 7;
using ProbeRegisters = std::array<std::uint16_t, kProbeRegisters>;

// What a 7-in-1 probe measures. pH and N, P, K are not modelled by the soil model: the cheap
// probes estimate N, P, K from EC, so they follow EC here too, and pH drifts a little with
// moisture around 6.3.
struct ProbeReading {
  double moisture = 0;  // %
  double temp_c = 0;
  double ec = 0;  // mS/cm
  double ph = 0;
  double nitrogen = 0;  // mg/kg
  double phosphorus = 0;
  double potassium = 0;
};

ProbeReading probe_reading(const SoilSample& soil);

// The registers in soil-7in1's scaling, each rounded to the nearest step and clamped to its type.
ProbeRegisters soil7_registers(const ProbeReading& reading);

class ProbeSlave {
 public:
  using Read = std::function<ProbeRegisters()>;

  // Listens on 127.0.0.1:`port` (0: the kernel picks; see port()) and answers as `unit`.
  // Error code "listen" if the port is taken.
  static Result<std::unique_ptr<ProbeSlave>> start(unsigned short port, int unit, Read read);

  ~ProbeSlave();
  ProbeSlave(const ProbeSlave&) = delete;
  ProbeSlave& operator=(const ProbeSlave&) = delete;

  unsigned short port() const { return port_; }

 private:
  ProbeSlave(Fd listener, int unit, Read read);
  void serve();

  Fd listener_;
  unsigned short port_ = 0;
  int unit_;
  Read read_;
  StopFlag stop_;
  std::thread thread_;  // last: it starts once everything above exists
};

}  // namespace farmgate::sim
