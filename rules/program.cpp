#include "rules/program.h"

#include <stdexcept>

#include "config/units.h"

namespace farmgate::rules {
namespace {

constexpr const char* kLog = "programs";

Expression compile_or_throw(const std::string& program, const config::SourceText& src,
                            const Catalogue& catalogue) {
  CompileResult r = compile(src.text, catalogue);
  if (!r) {
    throw std::logic_error(
        "program '" + program + "': skip_if '" + src.text +
        "' does not compile (check_rules should have refused it): " + r.to_error().message);
  }
  return std::move(r).value();
}

// The duration at `percent` of itself, in whole seconds, at least one.
Millis budgeted(Millis d, int percent) {
  const auto seconds = std::chrono::duration_cast<std::chrono::seconds>(d).count();
  const auto scaled = (seconds * percent + 50) / 100;
  return std::chrono::seconds{scaled < 1 ? 1 : scaled};
}

}  // namespace

ProgramRunner::ProgramRunner(const config::Config& c, std::size_t program,
                             const Catalogue& catalogue, ProgramContext ctx)
    : cfg_(c.programs.at(program)),
      windows_(cfg_.windows.empty() ? c.watering_windows : cfg_.windows),
      ctx_(std::move(ctx)),
      who_("program:" + cfg_.name) {
  for (const config::ProgramZone& z : cfg_.zones) {
    Entry e;
    e.cfg = z;
    e.duration = budgeted(z.duration, cfg_.budget_percent);
    const config::SourceText& skip = z.skip_if.text.empty() ? cfg_.skip_if : z.skip_if;
    if (!skip.text.empty()) e.skip_if = compile_or_throw(cfg_.name, skip, catalogue);
    e.fallback = z.fallback;
    entries_.push_back(std::move(e));
  }
}

ProgramRunner::~ProgramRunner() = default;

bool ProgramRunner::in_window(Timestamp now) const {
  if (windows_.empty()) return true;
  const auto tod = ctx_.time.time_of_day(now);
  if (!tod) return false;
  const int minute = static_cast<int>(tod->count() / 60'000);
  for (const config::WateringWindow& w : windows_) {
    if (w.contains(minute)) return true;
  }
  return false;
}

bool ProgramRunner::start(Timestamp now, const std::string& why) {
  if (running()) {
    ctx_.log.info(kLog, "program '" + cfg_.name + "': " + why + ": still running, not started");
    return false;
  }
  if (!in_window(now)) {
    detail_ = why + ": not started, outside the watering windows";
    ctx_.log.info(kLog, "program '" + cfg_.name + "': " + detail_);
    return false;
  }
  ctx_.log.info(kLog, "program '" + cfg_.name + "' started (" + why + ")");
  last_start_ = now;
  phase_ = Phase::between;
  index_ = 0;
  detail_.clear();
  tick(now, false);
  return true;
}

void ProgramRunner::finish(const std::string& why) {
  ctx_.log.info(kLog, "program '" + cfg_.name + "' " + why);
  phase_ = Phase::idle;
  detail_ = why;
  retry_at_.reset();
  refused_since_.reset();
}

void ProgramRunner::next_entry() {
  ++index_;
  phase_ = Phase::between;
  retry_at_.reset();
  refused_since_.reset();
}

void ProgramRunner::tick(Timestamp now, bool rain_delayed) {
  // A bounded loop: each pass either waits (returns) or moves to the next entry.
  while (phase_ != Phase::idle) {
    if (index_ >= entries_.size()) return finish("finished");
    Entry& e = entries_[index_];
    const std::string& zone = e.cfg.zone;
    if (phase_ == Phase::running) {
      if (!ctx_.sink.zone_running(zone)) {
        next_entry();
        continue;
      }
      if (!in_window(now)) {
        auto stopped = ctx_.sink.stop(zone, "watering window ended", who_);
        if (!stopped) {
          ctx_.log.warn(kLog, "program '" + cfg_.name + "': stopping zone " + zone +
                                  " failed: " + stopped.error().message);
        }
        return finish("stopped in zone " + zone + ": the watering window ended");
      }
      return;
    }
    if (phase_ == Phase::waiting && retry_at_ && now < *retry_at_) return;
    // Phase::between (or a retry that is due): may this zone run now?
    if (!in_window(now)) return finish("stopped before zone " + zone + ": outside the windows");
    if (rain_delayed) return finish("stopped before zone " + zone + ": rain delay");
    if (e.fallback && !(ctx_.zone_inputs_bad && ctx_.zone_inputs_bad(zone))) {
      ctx_.log.info(kLog, "program '" + cfg_.name + "': zone " + zone +
                              " skipped: its rules are in charge (this program is its fallback)");
      next_entry();
      continue;
    }
    if (e.skip_if) {
      const Evaluation v = e.skip_if->evaluate(ctx_.data, ctx_.time, now);
      // Unknown waters: a dead moisture probe must not stop the schedule that stands in for it.
      if (v.is_true()) {
        ctx_.log.info(
            kLog, "program '" + cfg_.name + "': zone " + zone + " skipped: " + e.skip_if->text());
        next_entry();
        continue;
      }
    }
    if (ctx_.sink.zone_running(zone)) {
      ctx_.log.info(kLog, "program '" + cfg_.name + "': zone " + zone +
                              " skipped: it is already being watered");
      next_entry();
      continue;
    }
    auto run = ctx_.sink.irrigate(zone, e.duration, who_);
    if (run) {
      ctx_.log.info(kLog, "program '" + cfg_.name + "': zone " + zone + " for " +
                              config::format_duration(e.duration));
      phase_ = Phase::running;
      detail_.clear();
      retry_at_.reset();
      refused_since_.reset();
      return;
    }
    if (!refused_since_) refused_since_ = now;
    if (now - *refused_since_ >= kGiveUpAfter) {
      ctx_.sink.alarm(Severity::warning, "program_refused",
                      "program '" + cfg_.name + "': zone " + zone + " refused for " +
                          config::format_duration(kGiveUpAfter) +
                          ", skipped: " + run.error().message);
      next_entry();
      continue;
    }
    phase_ = Phase::waiting;
    retry_at_ = now + kRetryAfterRefusal;
    detail_ = "zone " + zone + " refused: " + run.error().message;
    return;
  }
}

ProgramState ProgramRunner::state() const {
  ProgramState s;
  s.name = cfg_.name;
  s.last_start = last_start_;
  s.detail = detail_;
  switch (phase_) {
    case Phase::idle:
      s.state = "idle";
      break;
    case Phase::between:
    case Phase::running:
      s.state = "running";
      break;
    case Phase::waiting:
      s.state = "waiting";
      break;
  }
  if (phase_ != Phase::idle && index_ < entries_.size()) s.zone = entries_[index_].cfg.zone;
  return s;
}

}  // namespace farmgate::rules
