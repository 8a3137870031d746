// StopSignals: SIGINT and SIGTERM as something the main loop waits on, without a signal handler
// or a global flag. The constructor blocks both signals in the calling thread, so construct it
// in main() before any other thread starts (threads inherit the mask, so Paho's threads never
// receive them); the signals then stay pending until wait_until() or pending() collects them.
// Main thread only.
#pragma once

#include <chrono>
#include <csignal>

namespace farmgate::sim {

class StopSignals {
 public:
  StopSignals();
  ~StopSignals();
  StopSignals(const StopSignals&) = delete;
  StopSignals& operator=(const StopSignals&) = delete;

  // Sleeps until `deadline` unless a stop signal comes first; true if one came during the wait.
  bool wait_until(std::chrono::steady_clock::time_point deadline);
  // The same, but also returns (false) as soon as `wake_fd` is readable; the caller drains it.
  bool wait_until(std::chrono::steady_clock::time_point deadline, int wake_fd);
  // Collects a pending stop signal without waiting; true if one has come so far.
  bool pending();
  // How many stop signals have come; a second one means "stop now, do not drain".
  int received() const { return received_; }

 private:
  sigset_t set_{};
  sigset_t old_{};
  int signal_fd_ = -1;  // readable while a stop signal is pending; for the wait with a wake fd
  int received_ = 0;
};

}  // namespace farmgate::sim
