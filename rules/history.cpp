#include "rules/history.h"

#include <algorithm>
#include <array>
#include <cmath>
#include <iterator>

#include "config/config.h"

namespace farmgate::rules {
namespace {

// Minutes or hours, for reasons a person reads.
std::string span_text(Millis d) {
  const auto minutes = std::chrono::duration_cast<std::chrono::minutes>(d).count();
  if (minutes >= 120 && minutes % 60 == 0) return std::to_string(minutes / 60) + "h";
  if (minutes >= 1) return std::to_string(minutes) + "m";
  return std::to_string(std::chrono::duration_cast<std::chrono::seconds>(d).count()) + "s";
}

std::string number_text(double v) {
  std::string s = std::to_string(v);
  s.erase(s.find_last_not_of('0') + 1);
  if (!s.empty() && s.back() == '.') s.pop_back();
  return s;
}

constexpr std::size_t kSpikeBase = 5;  // readings the median is taken over

}  // namespace

History::History(Millis keep, const config::Config* config, HealthLimits limits)
    : keep_(std::max<Millis>(keep, 1h)), limits_(limits) {
  if (config == nullptr) return;
  for (const auto& d : config->devices) {
    const config::DeviceKind* kind = config->find_kind(d.kind);
    if (kind == nullptr) continue;
    for (const auto& m : kind->metrics) {
      if (m.max <= m.min) continue;
      Range& range = ranges_[{d.id, m.name}];
      range = {m.min, m.max, 0};
      if (limits_.spike_fraction > 0) range.spike_limit = limits_.spike_fraction * (m.max - m.min);
    }
  }
}

void History::add(const Reading& r) {
  if (r.quality == Quality::clock_unsynced || !std::isfinite(r.value)) return;
  SeriesKey key{r.device, r.metric};
  auto [it, inserted] = series_.try_emplace(key);
  Series& s = it->second;
  if (inserted) {
    if (const auto range = ranges_.find(key); range != ranges_.end()) {
      s.spike_limit = range->second.spike_limit;
      s.min = range->second.min;
      s.max = range->second.max;
    }
  }
  auto& pts = s.points;
  if (pts.empty() || pts.back().t <= r.time) {
    // In order, the usual case: spike and stuck are judged on the new latest reading.
    if (s.spike_limit > 0 && pts.size() >= kSpikeBase) {
      std::array<double, kSpikeBase> prev{};
      std::transform(pts.end() - kSpikeBase, pts.end(), prev.begin(),
                     [](const Point& p) { return p.v; });
      std::nth_element(prev.begin(), prev.begin() + kSpikeBase / 2, prev.end());
      s.spike_median = prev[kSpikeBase / 2];
      s.spiking = std::abs(r.value - s.spike_median) > s.spike_limit;
    } else {
      s.spiking = false;
    }
    if (!pts.empty() && pts.back().v == r.value) {
      ++s.same_count;
    } else {
      s.same_since = r.time;
      s.same_count = 1;
    }
    pts.push_back({r.time, r.value});
  } else {
    if (r.time < pts.back().t - keep_) return;  // older than anything a rule reads
    const auto pos = std::upper_bound(pts.begin(), pts.end(), r.time,
                                      [](Timestamp t, const Point& p) { return t < p.t; });
    pts.insert(pos, {r.time, r.value});
    recount_run(s);
  }
  // Drop what no window reaches, but keep enough readings for the spike median.
  const Timestamp horizon = pts.back().t - keep_;
  while (pts.size() > kSpikeBase + 1 && pts.front().t < horizon) pts.pop_front();
}

// After an out-of-order insert: the run of identical values at the end, from what is kept.
void History::recount_run(Series& s) const {
  const auto& pts = s.points;
  std::size_t n = 1;
  auto it = pts.rbegin();
  Timestamp since = it->t;
  for (auto prev = std::next(it); prev != pts.rend() && prev->v == it->v; ++prev) {
    since = prev->t;
    ++n;
  }
  s.same_since = since;
  s.same_count = n;
}

SeriesHealth History::assess(const SeriesKey& key, const Series& s,
                             std::optional<Timestamp> now) const {
  SeriesHealth h;
  h.series = key;
  h.state = "ok";
  if (s.points.empty()) return h;
  const Point& last = s.points.back();
  h.last_reading = last.t;
  h.last_value = last.v;
  auto bad = [&](const char* state, std::string reason) {
    h.healthy = false;
    h.state = state;
    h.reason = std::move(reason);
    return h;
  };
  if (now && *now - last.t > limits_.stale_after) {
    return bad("stale", "no reading of " + key.text() + " for " + span_text(*now - last.t) +
                            " (stale after " + span_text(limits_.stale_after) + ")");
  }
  // A value at an end of the metric's range is often real and steady: a full tank, a pump
  // reporting 0 all night. Only a value inside the range that never moves is suspicious.
  const bool at_bound = s.min && s.max && (last.v == *s.min || last.v == *s.max);
  if (!at_bound && s.same_count >= limits_.stuck_min_readings &&
      last.t - s.same_since >= limits_.stuck_after) {
    return bad("stuck", key.text() + " has read exactly " + number_text(last.v) + " for " +
                            span_text(last.t - s.same_since) + " (" + std::to_string(s.same_count) +
                            " readings)");
  }
  if (s.spiking) {
    return bad("spike", key.text() + " jumped to " + number_text(last.v) + " from a median of " +
                            number_text(s.spike_median) + " (limit " + number_text(s.spike_limit) +
                            ")");
  }
  return h;
}

Latest History::latest(const SeriesKey& key) const {
  const auto it = series_.find(key);
  if (it == series_.end() || it->second.points.empty()) return Latest{};
  if (!assess(key, it->second, now_).healthy) return Latest{DataStatus::unhealthy, 0, {}};
  const Point& p = it->second.points.back();
  return Latest{DataStatus::ok, p.v, p.t};
}

WindowStats History::window(const SeriesKey& key, Timestamp from, Timestamp to) const {
  WindowStats w;
  const auto it = series_.find(key);
  if (it == series_.end()) return w;
  if (!assess(key, it->second, now_).healthy) {
    w.status = DataStatus::unhealthy;
    return w;
  }
  const auto& pts = it->second.points;
  auto p = std::lower_bound(pts.begin(), pts.end(), from,
                            [](const Point& pt, Timestamp t) { return pt.t < t; });
  double sum = 0;
  for (; p != pts.end() && p->t <= to; ++p) {
    if (w.count == 0) w.min = w.max = w.first = p->v;
    w.min = std::min(w.min, p->v);
    w.max = std::max(w.max, p->v);
    w.last = p->v;
    sum += p->v;
    ++w.count;
  }
  if (w.count > 0) {
    w.status = DataStatus::ok;
    w.avg = sum / static_cast<double>(w.count);
  }
  return w;
}

std::vector<SeriesHealth> History::health(Timestamp now) const {
  std::vector<SeriesHealth> out;
  out.reserve(series_.size());
  for (const auto& [key, s] : series_) out.push_back(assess(key, s, now));
  return out;
}

}  // namespace farmgate::rules
