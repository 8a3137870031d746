// ModbusCoil: a relay behind one coil of a Modbus relay board, over TCP or RTU (libmodbus). A
// command writes the coil (function 05) and reads it back (function 01); the read-back is the
// confirmation. A request that times out or a dropped connection is retried on a fresh
// connection, up to `retries` more times within timeout * (retries + 1); then the command fails
// with libmodbus's reason. The next command reconnects, so a board that comes back needs nothing.
//
// `auto_off` is ignored: most relay boards have no per-coil timer that works the same way, so
// only the supervisor's timer (and `farmgate safe-state` after a crash) ends a run.
//
// Thread contract: an ActuatorDriver (driver.h) — owner thread only. Modbus I/O blocks, so it
// runs on the driver's own worker thread: set() leaves the command for the worker and returns;
// the worker posts each report through Scheduler::post. Only the latest command waits: one that
// is superseded before the worker takes it gets no report (the contract allows it) and the queue
// stays bounded. stop() lets the worker finish the command it holds or the one waiting — the
// supervisor's last OFF — and joins it, so it may block for up to timeout * (retries + 1).
#pragma once

#include <condition_variable>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>

#include "actuators/driver.h"
#include "actuators/scheduler.h"
#include "config/config.h"

namespace farmgate::actuators {

class ModbusCoil final : public ActuatorDriver {
 public:
  ModbusCoil(std::string id, const config::DriverConfig& config, Scheduler& scheduler);
  ~ModbusCoil() override;

  // Builds the libmodbus context (no I/O: the first command connects) and starts the worker.
  Result<void> start(Listener listener) override;
  void set(bool on, Millis auto_off) override;
  void stop() override;

  // `farmgate safe-state`: switches the coil OFF and confirms it on the calling thread, with
  // the same retries as a command. Blocks.
  static Result<void> drive_off(const config::ModbusCoilConfig& config);

  class Link;  // one libmodbus context and its connection; modbus_coil.cpp

 private:
  void work();

  const std::string id_;
  const config::ModbusCoilConfig config_;
  Scheduler& scheduler_;
  Listener listener_;
  std::unique_ptr<Link> link_;  // the worker's alone once it runs
  // Posted reports check it, so none is delivered after stop() or destruction.
  std::shared_ptr<bool> alive_ = std::make_shared<bool>(true);

  std::mutex mutex_;
  std::condition_variable wake_;
  std::optional<bool> command_;  // guarded by mutex_: the latest command not yet taken
  bool stopping_ = false;        // guarded by mutex_
  std::thread worker_;
};

}  // namespace farmgate::actuators
