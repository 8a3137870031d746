#include "sensors/sim/farm_link.h"

#include <sys/eventfd.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdint>
#include <system_error>
#include <utility>

namespace farmgate::sim {

Timestamp SimClock::at(std::chrono::steady_clock::time_point t) const {
  const std::chrono::duration<double, std::milli> elapsed = t - base;
  return start + Millis{static_cast<std::int64_t>(elapsed.count() * speed)};
}

std::chrono::steady_clock::time_point SimClock::wall(Timestamp t) const {
  const std::chrono::duration<double, std::milli> sim = t - start;
  return base + std::chrono::duration_cast<std::chrono::steady_clock::duration>(sim / speed);
}

FarmLink::FarmLink(FarmModel model, SimClock clock, SteadyNow steady_now)
    : model_(std::move(model)), clock_(clock), steady_now_(std::move(steady_now)) {
  event_fd_ = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
  if (event_fd_ < 0) throw std::system_error(errno, std::generic_category(), "eventfd");
}

FarmLink::~FarmLink() {
  ::close(event_fd_);
}

void FarmLink::start_clock() {
  std::lock_guard lock(mu_);
  clock_.base = steady_now_();
  started_ = true;
}

SimClock FarmLink::clock() {
  std::lock_guard lock(mu_);
  return clock_;
}

Timestamp FarmLink::sim_now() const {
  return started_ ? clock_.at(steady_now_()) : clock_.start;
}

void FarmLink::set_relay(const std::string& id, bool on) {
  std::lock_guard lock(mu_);
  const bool was_on = model_.pump_on();
  model_.set_relay(id, on, sim_now());
  if (model_.pump_on() != was_on) {
    pump_changed_ = true;
    const std::uint64_t one = 1;
    // Cannot fail short of 2^64 - 1 unread wake-ups; a lost one would only delay a report.
    [[maybe_unused]] auto n = ::write(event_fd_, &one, sizeof one);
  }
}

bool FarmLink::take_pump_change() {
  std::uint64_t count = 0;
  [[maybe_unused]] auto n = ::read(event_fd_, &count, sizeof count);  // EAGAIN when not signalled
  std::lock_guard lock(mu_);
  return std::exchange(pump_changed_, false);
}

SoilSample FarmLink::sample_soil(std::size_t zone, Timestamp t) {
  std::lock_guard lock(mu_);
  return model_.sample_soil(zone, t);
}

SoilSample FarmLink::probe_soil(std::size_t zone) {
  std::lock_guard lock(mu_);
  const Timestamp t = std::max(sim_now(), model_.now());
  return model_.sample_soil(zone, t);
}

Millis FarmLink::elapsed() {
  std::lock_guard lock(mu_);
  return sim_now() - clock_.start;
}

FarmReport FarmLink::report() {
  std::lock_guard lock(mu_);
  const Timestamp t = std::max(sim_now(), model_.now());
  model_.advance(t);
  return {t, model_.flow(), model_.tank_percent(), model_.pump_on()};
}

}  // namespace farmgate::sim
