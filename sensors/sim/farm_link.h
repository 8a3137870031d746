// FarmLink: one FarmModel shared by two threads of farmgate-sim: the relay player's thread, which
// switches the pump and the valves as farmgate commands them, and the runner's (main) thread, which
// samples the soil, the flow meter and the tank to publish them. A mutex guards the model; an
// eventfd wakes the runner as soon as the pump changes, so that the flow meter reports at once.
// Both threads read simulated time from the same SimClock, under the mutex, so the model only
// ever moves forward. Simulated time stands at the clock's start until start_clock(), so the
// time spent connecting costs no simulated time. The simulated Modbus probe and camera
// (probe_slave.h, snapshot_server.h) read the farm from their own threads through probe_soil()
// and elapsed(). set_relay(), probe_soil(), elapsed(), clock(): any thread; the rest: the
// runner's.
#pragma once

#include <chrono>
#include <functional>
#include <mutex>
#include <string>

#include "core/time.h"
#include "sensors/sim/farm_model.h"

namespace farmgate::sim {

// Simulated time running `speed` times the steady clock from `base`, when it read `start`.
struct SimClock {
  Timestamp start{};
  std::chrono::steady_clock::time_point base{};
  double speed = 1;

  Timestamp at(std::chrono::steady_clock::time_point t) const;
  // The steady time at which simulated time reaches `t`.
  std::chrono::steady_clock::time_point wall(Timestamp t) const;
};

// What the flow meter and the tank report at one instant.
struct FarmReport {
  Timestamp at{};
  FlowSample flow;
  double tank_percent = 0;
  bool pump_on = false;
};

class FarmLink {
 public:
  using SteadyNow = std::function<std::chrono::steady_clock::time_point()>;  // a fake in tests

  // `clock.base` is replaced by start_clock(). Throws std::system_error when no eventfd can be
  // made (start-up only).
  FarmLink(FarmModel model, SimClock clock, SteadyNow steady_now = std::chrono::steady_clock::now);
  ~FarmLink();
  FarmLink(const FarmLink&) = delete;
  FarmLink& operator=(const FarmLink&) = delete;

  // Simulated time runs from now on.
  void start_clock();
  SimClock clock();

  // A relay switched at simulated now. Ids the model does not know are ignored.
  void set_relay(const std::string& id, bool on);

  // Readable after the pump changed, until take_pump_change().
  int wake_fd() const { return event_fd_; }
  // True once per pump change (several changes between two calls count once).
  bool take_pump_change();

  SoilSample sample_soil(std::size_t zone, Timestamp t);
  // A reading of zone `zone` (an index into the model's zones) taken at simulated now.
  SoilSample probe_soil(std::size_t zone);
  // Simulated time since the clock's start; zero until start_clock().
  Millis elapsed();
  std::size_t zone_count() const { return model_.zone_count(); }  // fixed at construction
  // The flow meter and the tank at simulated now.
  FarmReport report();

 private:
  std::mutex mu_;
  Timestamp sim_now() const;  // under mu_

  FarmModel model_;
  SimClock clock_;
  SteadyNow steady_now_;
  bool started_ = false;
  bool pump_changed_ = false;
  int event_fd_ = -1;
};

}  // namespace farmgate::sim
