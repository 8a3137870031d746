#include "sensors/sim/stop_signals.h"

#include <poll.h>
#include <pthread.h>
#include <sys/signalfd.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <ctime>

namespace farmgate::sim {

StopSignals::StopSignals() {
  sigemptyset(&set_);
  sigaddset(&set_, SIGINT);
  sigaddset(&set_, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &set_, &old_);
  // Only polled, never read: pending() collects the signals, as for the plain wait.
  signal_fd_ = signalfd(-1, &set_, SFD_CLOEXEC | SFD_NONBLOCK);
}

StopSignals::~StopSignals() {
  if (signal_fd_ >= 0) ::close(signal_fd_);
  pthread_sigmask(SIG_SETMASK, &old_, nullptr);
}

bool StopSignals::wait_until(std::chrono::steady_clock::time_point deadline, int wake_fd) {
  using namespace std::chrono;
  if (signal_fd_ < 0) return wait_until(deadline);  // no signalfd: the wake-up waits for deadline
  int before = received_;
  while (received_ == before) {
    auto left = deadline - steady_clock::now();
    if (left <= nanoseconds::zero()) break;
    // Rounded up, so the wait never ends before the deadline.
    auto ms = duration_cast<milliseconds>(left + milliseconds(1) - nanoseconds(1));
    pollfd fds[2] = {{signal_fd_, POLLIN, 0}, {wake_fd, POLLIN, 0}};
    int n = ::poll(fds, 2, static_cast<int>(std::min<milliseconds::rep>(ms.count(), 60'000)));
    if (n < 0 && errno != EINTR) break;
    if (n > 0 && (fds[0].revents & POLLIN)) pending();
    if (n > 0 && (fds[1].revents & POLLIN)) break;
  }
  pending();
  return received_ > before;
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
