#include "rules/schedules.h"

#include <algorithm>
#include <stdexcept>

#include "config/units.h"

namespace farmgate::rules {
namespace {

constexpr const char* kLog = "programs";

// "2026-01-01 05:00" in the site's zone, for messages.
std::string local_text(const SiteTime& tz, Timestamp t) {
  const LocalTime l = tz.to_local(t);
  char buf[32];
  std::snprintf(buf, sizeof buf, "%04d-%02d-%02d %02d:%02d", l.year, l.month, l.day, l.hour,
                l.minute);
  return buf;
}

}  // namespace

Schedules::Schedules(const config::Config& c, Clock& clock, ActionSink& sink, Logger& log,
                     const DataView& data, ZoneInputsBad zone_inputs_bad)
    : config_(c),
      zone_inputs_bad_(zone_inputs_bad),
      clock_(clock),
      sink_(sink),
      log_(log),
      data_(data) {
  auto tz = SiteTime::load(c.timezone);
  if (!tz) throw std::runtime_error("timezone '" + c.timezone + "': " + tz.error().message);
  site_clock_ = std::make_unique<SiteClock>(std::move(tz).value(), c.location);
  scheduler_ = std::make_unique<Scheduler>(site_clock_->site_time());
  const Catalogue catalogue = Catalogue::from_config(c);
  for (std::size_t i = 0; i < c.programs.size(); ++i) {
    const config::Program& p = c.programs[i];
    programs_.push_back(std::make_unique<ProgramRunner>(
        c, i, catalogue, ProgramContext{sink, log, data, *site_clock_, zone_inputs_bad}));
    for (const config::ProgramStart& s : p.starts) {
      auto start = StartTimes::make(s, c.location);
      if (!start) {
        throw std::logic_error("program '" + p.name + "': " + start.error().message +
                               " (check_rules should have refused it)");
      }
      scheduler_->add(std::move(start).value());
      start_program_.push_back(i);
    }
  }
  if (!c.rain_delay.when.text.empty()) {
    CompileResult r = compile(c.rain_delay.when.text, catalogue);
    if (!r) {
      throw std::logic_error("rain_delay: '" + c.rain_delay.when.text +
                             "' does not compile (check_rules should have refused it)");
    }
    rain_when_ = std::move(r).value();
    rain_hold_ = c.rain_delay.hold;
  }
}

Schedules::~Schedules() = default;

bool Schedules::rain_delayed(Timestamp now) const {
  return rain_until_ && now < *rain_until_;
}

void Schedules::update_rain_delay(Timestamp now) {
  if (!rain_when_) return;
  const Evaluation e = rain_when_->evaluate(data_, *site_clock_, now);
  // Unknown (a dead rain gauge) delays nothing: the programs water as planned.
  if (!e.is_true()) return;
  const bool began = !rain_delayed(now);
  if (!rain_until_ || *rain_until_ < now + rain_hold_) rain_until_ = now + rain_hold_;
  if (began) {
    rain_reason_ = rain_when_->text();
    sink_.alarm(Severity::info, "rain_delay",
                "rain delay (" + rain_reason_ + "): no program starts before " +
                    local_text(site_clock_->site_time(), *rain_until_));
  }
}

void Schedules::tick() {
  const Timestamp now = clock_.now();
  update_rain_delay(now);
  const Scheduler::Report report = scheduler_->tick(now);
  const SiteTime& tz = site_clock_->site_time();
  for (const Scheduler::Skipped& s : report.skipped) {
    const std::string& name = programs_[start_program_[s.start]]->name();
    sink_.alarm(Severity::warning, "schedule_skipped",
                "program '" + name + "': start " + scheduler_->start(s.start).describe() + " at " +
                    local_text(tz, s.scheduled) +
                    " was missed (the clock jumped or the gateway was busy) and is too old to "
                    "run now");
  }
  for (const Scheduler::Due& d : report.due) {
    ProgramRunner& p = *programs_[start_program_[d.start]];
    std::string why = scheduler_->start(d.start).describe() + " at " + local_text(tz, d.scheduled);
    // A tick is a second apart; anything later is a missed start run late: say so.
    if (d.late > Millis{5'000} || d.missed > 0) {
      why += ", run " + config::format_duration(d.late) + " late";
      log_.warn(kLog, "program '" + p.name() + "': start " + why +
                          (d.missed > 0
                               ? " (" + std::to_string(d.missed) + " earlier occurrences not run)"
                               : std::string()));
    }
    if (rain_delayed(now)) {
      log_.info(kLog, "program '" + p.name() + "': start " + why + " skipped: rain delay until " +
                          local_text(tz, *rain_until_));
      continue;
    }
    (void)p.start(now, why);
  }
  const bool rain = rain_delayed(now);
  for (auto& p : programs_) p->tick(now, rain);
}

void Schedules::delay_for_rain(Timestamp until) {
  rain_until_ = until;
  rain_reason_ = "by hand";
  log_.info(kLog, "rain delay by hand until " + local_text(site_clock_->site_time(), until));
}

void Schedules::clear_rain_delay() {
  rain_until_.reset();
  log_.info(kLog, "rain delay cleared");
}

std::optional<Timestamp> Schedules::rain_delay_until() const {
  if (!rain_delayed(clock_.now())) return std::nullopt;
  return rain_until_;
}

Result<void> Schedules::run_now(const std::string& program) {
  const Timestamp now = clock_.now();
  for (auto& p : programs_) {
    if (p->name() != program) continue;
    if (!clock_.synchronised()) {
      return make_error("not_started", "the clock is not synchronised yet");
    }
    if (rain_delayed(now)) return make_error("not_started", "a rain delay is in force");
    if (p->running()) return make_error("not_started", "it is already running");
    if (!p->start(now, "started by hand")) {
      return make_error("not_started", "outside its watering windows");
    }
    return {};
  }
  return make_error("unknown_program", "no program named '" + program + "'");
}

std::vector<ProgramState> Schedules::states() const {
  std::vector<ProgramState> out;
  const bool synced = clock_.synchronised();
  for (std::size_t i = 0; i < programs_.size(); ++i) {
    ProgramState s = programs_[i]->state();
    for (std::size_t k = 0; k < start_program_.size(); ++k) {
      if (start_program_[k] != i) continue;
      const auto next = scheduler_->next(k);
      if (next && (!s.next_start || *next < *s.next_start)) s.next_start = next;
    }
    if (!synced && s.state == "idle") s.detail = "waiting for the clock to be synchronised";
    if (rain_delayed(clock_.now()) && s.state == "idle") {
      s.detail = "rain delay until " + local_text(site_clock_->site_time(), *rain_until_) +
                 (s.detail.empty() ? "" : "; last: " + s.detail);
    }
    out.push_back(std::move(s));
  }
  return out;
}

std::optional<Schedules::NextRun> Schedules::next_run(const std::string& zone) const {
  if (!clock_.synchronised()) return std::nullopt;
  std::optional<NextRun> best;
  for (std::size_t k = 0; k < start_program_.size(); ++k) {
    const config::Program& p = config_.programs[start_program_[k]];
    const bool waters = std::any_of(p.zones.begin(), p.zones.end(), [&](const auto& z) {
      return z.zone == zone && (!z.fallback || (zone_inputs_bad_ && zone_inputs_bad_(zone)));
    });
    if (!waters) continue;
    const auto next = scheduler_->next(k);
    if (next && (!best || *next < best->at)) best = NextRun{p.name, *next};
  }
  if (best && rain_until_ && *rain_until_ > best->at) {
    // The first start after the delay is not known without asking the scheduler ahead; the end
    // of the delay is the earliest the zone can be watered.
    best->at = *rain_until_;
  }
  return best;
}

}  // namespace farmgate::rules
