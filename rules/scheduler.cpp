#include "rules/scheduler.h"

#include <chrono>

#include "config/units.h"
#include "rules/sun.h"

namespace farmgate::rules {
namespace {

std::string signed_duration(Millis d) {
  return (d < Millis{0} ? "-" : "+") + config::format_duration(d < Millis{0} ? -d : d);
}

}  // namespace

Result<StartTimes> StartTimes::make(const config::ProgramStart& start,
                                    const config::SiteLocation& location) {
  StartTimes s;
  s.kind_ = start.kind;
  s.offset_ = start.offset;
  s.location_ = location;
  switch (start.kind) {
    case config::ProgramStart::Kind::cron: {
      auto cron = CronSpec::parse(start.cron.text);
      if (!cron) return cron.error();
      s.cron_ = std::move(cron).value();
      s.text_ = "cron " + start.cron.text;
      break;
    }
    case config::ProgramStart::Kind::sunrise:
    case config::ProgramStart::Kind::sunset: {
      const bool rise = start.kind == config::ProgramStart::Kind::sunrise;
      if (!location.set) {
        return make_error("no_location", std::string(rise ? "sunrise" : "sunset") +
                                             " starts need the site's position: add location: "
                                             "{latitude: ..., longitude: ...}");
      }
      s.text_ = std::string(rise ? "sunrise " : "sunset ") + signed_duration(start.offset);
      break;
    }
  }
  return s;
}

std::optional<Timestamp> StartTimes::next_after(Timestamp t, const SiteTime& tz) const {
  if (cron_) return cron_->next_after(t, tz);
  using namespace std::chrono;
  const LocalTime l = tz.to_local(t);
  sys_days day = sys_days{year{l.year} / month{static_cast<unsigned>(l.month)} /
                          std::chrono::day{static_cast<unsigned>(l.day)}};
  // The offset may move an occurrence onto the neighbouring day: start looking a day early.
  day -= days{1};
  for (int i = 0; i < 400; ++i, day += days{1}) {
    const SunTimes sun = sun_times(year_month_day{day}, location_.latitude, location_.longitude);
    const auto& base = kind_ == config::ProgramStart::Kind::sunrise ? sun.sunrise : sun.sunset;
    if (!base) continue;  // polar day or night
    const Timestamp at = *base + offset_;
    if (at > t) return at;
  }
  return std::nullopt;
}

std::size_t Scheduler::add(StartTimes start) {
  starts_.push_back(Entry{std::move(start), std::nullopt, std::nullopt});
  if (prev_) plan(starts_.back(), *prev_);
  return starts_.size() - 1;
}

void Scheduler::plan(Entry& e, Timestamp after) const {
  if (e.last_handled && *e.last_handled > after) after = *e.last_handled;
  e.next = e.times.next_after(after, tz_);
}

Scheduler::Report Scheduler::tick(Timestamp now) {
  Report report;
  if (to_epoch_ms(now) < kPlausibleEpochMs) return report;  // no calendar on an untrusted clock
  if (!prev_) {
    // The first trusted tick: what fell before it is not known to have been missed.
    prev_ = now;
    for (Entry& e : starts_) plan(e, now);
    return report;
  }
  if (now < *prev_) {
    // Backward: plan from now, but never again an occurrence already handled.
    prev_ = now;
    for (Entry& e : starts_) plan(e, now);
    return report;
  }
  prev_ = now;
  for (std::size_t i = 0; i < starts_.size(); ++i) {
    Entry& e = starts_[i];
    if (!e.next || *e.next > now) continue;
    // Occurrences in (previous tick, now]: normally one; more after a forward jump. Only those
    // at most kCatchUp old are walked one by one (a minutely line over a long jump is not).
    const Timestamp first = *e.next;
    const Timestamp horizon = now - kCatchUp;
    std::optional<Timestamp> recent =
        first >= horizon ? std::optional<Timestamp>(first) : e.times.next_after(horizon - 1ms, tz_);
    if (recent && *recent <= now) {
      std::size_t count = 1;
      for (auto o = e.times.next_after(*recent, tz_); o && *o <= now;
           o = e.times.next_after(*recent, tz_)) {
        recent = o;
        ++count;
      }
      // Older occurrences than the walk's start do not run either: count them as missed.
      const std::size_t older = first < horizon ? 1 : 0;
      report.due.push_back({i, *recent, now - *recent, count - 1 + older});
      e.last_handled = *recent;
    } else {
      report.skipped.push_back({i, first});
      e.last_handled = first;
    }
    plan(e, now);
  }
  return report;
}

std::optional<Timestamp> Scheduler::next(std::size_t start) const {
  return starts_[start].next;
}

}  // namespace farmgate::rules
