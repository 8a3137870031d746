#include "gateway/http/auth/throttle.h"

#include <algorithm>

namespace farmgate::http::auth {

LoginThrottle::LoginThrottle(const Clock& clock, ThrottleOptions options)
    : clock_(clock), options_(options) {}

std::optional<Millis> LoginThrottle::locked_for(const std::string& key) const {
  const auto it = entries_.find(key);
  if (it == entries_.end()) return std::nullopt;
  const auto now = clock_.steady_now();
  if (now >= it->second.until) return std::nullopt;
  return std::chrono::duration_cast<Millis>(it->second.until - now);
}

void LoginThrottle::failure(const std::string& key) {
  const auto now = clock_.steady_now();
  if (!entries_.contains(key) && entries_.size() >= options_.max_keys) {
    const auto oldest = std::min_element(entries_.begin(), entries_.end(), [](auto& a, auto& b) {
      return a.second.last < b.second.last;
    });
    entries_.erase(oldest);
  }
  Entry& e = entries_[key];
  e.failures = std::min(e.failures + 1, 1000);
  e.last = now;
  const int over = e.failures - options_.free_failures;
  if (over <= 0) return;
  // 1 s after the 6th failure, doubling; the shift is bounded well before it could overflow.
  Millis delay = options_.max_delay;
  if (over <= 30)
    delay = std::min(options_.max_delay, Millis{options_.first_delay.count() << (over - 1)});
  e.until = now + delay;
}

void LoginThrottle::success(const std::string& key) {
  entries_.erase(key);
}

}  // namespace farmgate::http::auth
