#include "sensors/sim/stop_signals.h"

#include <pthread.h>

#include <cerrno>
#include <ctime>

namespace farmgate::sim {

StopSignals::StopSignals() {
  sigemptyset(&set_);
  sigaddset(&set_, SIGINT);
  sigaddset(&set_, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &set_, &old_);
}

StopSignals::~StopSignals() {
  pthread_sigmask(SIG_SETMASK, &old_, nullptr);
}

bool StopSignals::wait_until(std::chrono::steady_clock::time_point deadline) {
  using namespace std::chrono;
  while (true) {
    auto left = deadline - steady_clock::now();
    if (left <= nanoseconds::zero()) {
      int before = received_;
      pending();
      return received_ > before;
    }
    auto s = duration_cast<seconds>(left);
    timespec ts{static_cast<time_t>(s.count()),
                static_cast<long>(duration_cast<nanoseconds>(left - s).count())};
    int sig = sigtimedwait(&set_, nullptr, &ts);
    if (sig > 0) {
      ++received_;
      return true;
    }
    // EAGAIN: the deadline passed; EINTR: another signal interrupted the wait, go on waiting.
    if (errno == EAGAIN) return false;
  }
}

bool StopSignals::pending() {
  timespec zero{0, 0};
  while (sigtimedwait(&set_, nullptr, &zero) > 0) ++received_;
  return received_ > 0;
}

}  // namespace farmgate::sim
