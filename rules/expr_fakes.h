// Fakes of DataView and TimeView for tests of expressions and of code built on them: readings
// are added by hand, window stats are computed from them, and every fact can be made unknown.
// Test code only; one thread.
#pragma once

#include <algorithm>
#include <map>
#include <optional>
#include <set>
#include <vector>

#include "rules/expr_views.h"

namespace farmgate::rules::testing {

class FakeDataView final : public DataView {
 public:
  void add(const SeriesKey& key, Timestamp t, double value) {
    auto& s = series_[key];
    s.push_back({t, value});
    std::sort(s.begin(), s.end(), [](const Point& a, const Point& b) { return a.t < b.t; });
  }
  void set_unhealthy(const SeriesKey& key, bool unhealthy = true) {
    if (unhealthy) {
      unhealthy_.insert(key);
    } else {
      unhealthy_.erase(key);
    }
  }
  // How many times the views were asked, to check what evaluation reads.
  mutable int calls = 0;

  Latest latest(const SeriesKey& key) const override {
    ++calls;
    if (unhealthy_.count(key)) return Latest{DataStatus::unhealthy, 0, {}};
    const auto it = series_.find(key);
    if (it == series_.end() || it->second.empty()) return Latest{};
    return Latest{DataStatus::ok, it->second.back().v, it->second.back().t};
  }

  WindowStats window(const SeriesKey& key, Timestamp from, Timestamp to) const override {
    ++calls;
    WindowStats w;
    if (unhealthy_.count(key)) {
      w.status = DataStatus::unhealthy;
      return w;
    }
    const auto it = series_.find(key);
    if (it == series_.end()) return w;
    double sum = 0;
    for (const auto& p : it->second) {
      if (p.t < from || p.t > to) continue;
      if (w.count == 0) {
        w.min = w.max = w.first = p.v;
      }
      w.min = std::min(w.min, p.v);
      w.max = std::max(w.max, p.v);
      w.last = p.v;
      sum += p.v;
      ++w.count;
    }
    if (w.count) {
      w.status = DataStatus::ok;
      w.avg = sum / static_cast<double>(w.count);
    }
    return w;
  }

 private:
  struct Point {
    Timestamp t;
    double v;
  };
  std::map<SeriesKey, std::vector<Point>> series_;
  std::set<SeriesKey> unhealthy_;
};

// Fixed answers, whatever `now` is; set a field to nullopt to make it unknown.
class FakeTimeView final : public TimeView {
 public:
  std::optional<Millis> now_of_day = Millis{12 * 3600'000};
  std::optional<std::chrono::weekday> today = std::chrono::Monday;
  std::optional<Millis> rise = Millis{5 * 3600'000 + 30 * 60'000};  // 05:30
  std::optional<Millis> set = Millis{17 * 3600'000 + 45 * 60'000};  // 17:45

  std::optional<Millis> time_of_day(Timestamp) const override { return now_of_day; }
  std::optional<std::chrono::weekday> weekday(Timestamp) const override { return today; }
  std::optional<Millis> sunrise(Timestamp) const override { return rise; }
  std::optional<Millis> sunset(Timestamp) const override { return set; }
};

}  // namespace farmgate::rules::testing
