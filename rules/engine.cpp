#include "rules/engine.h"

#include <algorithm>
#include <stdexcept>

#include "rules/expr.h"

namespace farmgate::rules {
namespace {

constexpr const char* kLog = "rules";

Expression compile_or_throw(const std::string& rule, const config::SourceText& src,
                            const Catalogue& catalogue) {
  CompileResult r = compile(src.text, catalogue);
  if (!r) {
    throw std::logic_error(
        "rule '" + rule + "': expression '" + src.text +
        "' does not compile (check_rules should have refused it): " + r.to_error().message);
  }
  return std::move(r).value();
}

Severity severity_of(const std::string& s) {
  if (s == "info") return Severity::info;
  if (s == "warning") return Severity::warning;
  return Severity::alarm;
}

std::string seconds_text(Millis d) {
  return std::to_string(std::chrono::duration_cast<std::chrono::seconds>(d).count()) + "s";
}

}  // namespace

struct Engine::CompiledRule {
  // A run this rule started whose `until` it watches.
  struct Run {
    std::size_t action;  // index into cfg.then (and untils)
    std::uint64_t id;
    Timestamp ends;  // the run's own duration is over: nothing left to watch
  };

  CompiledRule(config::Rule rule, Expression when_expr)
      : cfg(std::move(rule)), who("rule:" + cfg.name), when(std::move(when_expr)) {}

  config::Rule cfg;
  std::string who;
  Expression when;
  std::vector<std::optional<Expression>> untils;  // one per action; set for irrigate with until

  std::optional<Timestamp> true_since;  // `when` true continuously since
  bool fired_this_period = false;       // fired since `when` was last false
  std::optional<Timestamp> last_fired;
  bool input_bad = false;  // rule_input_bad raised and not yet cleared
  // A refused irrigation (e.g. the pump's min_off) is tried again from then, without waiting
  // for the cooldown; the warning is raised once until an irrigation is granted again.
  std::optional<Timestamp> retry_at;
  bool refusal_raised = false;
  std::string state = "idle";
  std::string detail;
  std::vector<Run> runs;
};

Engine::Engine(const config::Config& c, Clock& clock, ActionSink& sink, Logger& log)
    : clock_(clock), sink_(sink), log_(log), started_(clock.now()) {
  const Catalogue catalogue = Catalogue::from_config(c);
  Millis keep{0};
  for (const config::Rule& rule : c.rules) {
    auto compiled =
        std::make_unique<CompiledRule>(rule, compile_or_throw(rule.name, rule.when, catalogue));
    std::vector<SeriesKey> deps = compiled->when.dependencies();
    keep = std::max(keep, compiled->when.longest_window());
    for (const config::RuleAction& a : rule.then) {
      if (a.kind == config::RuleAction::Kind::irrigate && !a.until.text.empty()) {
        Expression until = compile_or_throw(rule.name, a.until, catalogue);
        keep = std::max(keep, until.longest_window());
        deps.insert(deps.end(), until.dependencies().begin(), until.dependencies().end());
        compiled->untils.emplace_back(std::move(until));
      } else {
        compiled->untils.emplace_back(std::nullopt);
      }
    }
    std::sort(deps.begin(), deps.end());
    deps.erase(std::unique(deps.begin(), deps.end()), deps.end());
    for (const SeriesKey& k : deps) readers_[k].push_back(rules_.size());
    rules_.push_back(std::move(compiled));
  }
  // Programs' skip_if and the rain delay read the same history: keep what they need too.
  const auto keep_for = [&](const config::SourceText& src) {
    if (src.text.empty()) return;
    if (CompileResult r = compile(src.text, catalogue)) keep = std::max(keep, r->longest_window());
  };
  for (const config::Program& p : c.programs) {
    keep_for(p.skip_if);
    for (const config::ProgramZone& z : p.zones) keep_for(z.skip_if);
  }
  keep_for(c.rain_delay.when);
  auto tz = SiteTime::load(c.timezone);
  if (!tz) throw std::runtime_error("timezone '" + c.timezone + "': " + tz.error().message);
  site_clock_ = std::make_unique<SiteClock>(std::move(tz).value(), c.location);
  history_ = std::make_unique<History>(keep, &c);
}

Engine::~Engine() = default;

const DataView& Engine::history() const {
  return *history_;
}

std::vector<SeriesHealth> Engine::health() const {
  return history_->health(clock_.now());
}

void Engine::on_reading(const Reading& r) {
  history_->add(r);
  const auto it = readers_.find(SeriesKey{r.device, r.metric});
  if (it == readers_.end()) return;
  const Timestamp now = clock_.now();
  history_->set_now(now);
  for (const std::size_t i : it->second) evaluate(*rules_[i], now);
}

void Engine::tick() {
  const Timestamp now = clock_.now();
  history_->set_now(now);
  for (auto& rule : rules_) evaluate(*rule, now);
}

void Engine::watch_runs(CompiledRule& rule, Timestamp now) {
  auto& runs = rule.runs;
  for (auto it = runs.begin(); it != runs.end();) {
    const config::RuleAction& a = rule.cfg.then[it->action];
    // Over (its duration, the supervisor or a person ended it): a later run in the zone is not
    // ours to stop.
    if (now >= it->ends || !sink_.run_active(it->id)) {
      it = runs.erase(it);
      continue;
    }
    const Evaluation e = rule.untils[it->action]->evaluate(*history_, *site_clock_, now);
    // Unknown keeps the run going, but only up to its own duration: never longer.
    if (!e.is_true()) {
      ++it;
      continue;
    }
    auto stopped = sink_.stop(a.zone, "until: " + a.until.text, rule.who);
    if (stopped) {
      log_.info(kLog, "rule '" + rule.cfg.name + "': stopped zone " + a.zone +
                          " (until: " + a.until.text + ")");
    } else {
      log_.warn(kLog, "rule '" + rule.cfg.name + "': stopping zone " + a.zone +
                          " failed: " + stopped.error().message);
    }
    it = runs.erase(it);
  }
}

void Engine::evaluate(CompiledRule& rule, Timestamp now) {
  watch_runs(rule, now);
  const Evaluation e = rule.when.evaluate(*history_, *site_clock_, now);
  const std::string& name = rule.cfg.name;
  if (e.is_unknown()) {
    rule.true_since.reset();
    rule.state = "unknown";
    rule.detail = e.reason;
    // Right after a start the sensors have not reported yet: that is no fault.
    if (!rule.input_bad && now - started_ >= kStartupGrace) {
      rule.input_bad = true;
      sink_.alarm(Severity::warning, "rule_input_bad", "rule '" + name + "': " + e.reason);
    }
    return;
  }
  if (rule.input_bad) {
    rule.input_bad = false;
    sink_.alarm(Severity::info, "rule_input_ok", "rule '" + name + "': its inputs are known again");
  }
  if (e.is_false()) {
    rule.true_since.reset();
    rule.fired_this_period = false;
    rule.state = "idle";
    rule.detail = rule.runs.empty() ? "" : "watching the run it started";
    return;
  }
  if (!rule.true_since) rule.true_since = now;
  const Millis held = now - *rule.true_since;
  if (held < rule.cfg.hold) {
    rule.state = "holding";
    rule.detail = "true for " + seconds_text(held) + " of " + seconds_text(rule.cfg.hold);
    return;
  }
  if (rule.last_fired && now - *rule.last_fired < rule.cfg.cooldown) {
    rule.state = "cooldown";
    rule.detail = "may fire again in " + seconds_text(rule.cfg.cooldown - (now - *rule.last_fired));
    return;
  }
  if (rule.retry_at && now < *rule.retry_at) {
    rule.state = "refused";
    return;
  }
  if (rule.fired_this_period && rule.cfg.cooldown == Millis{0}) {
    rule.state = "fired";
    rule.detail = "fires again once the condition was false";
    return;
  }
  fire(rule, now);
}

void Engine::fire(CompiledRule& rule, Timestamp now) {
  const std::string& name = rule.cfg.name;
  rule.last_fired = now;
  rule.fired_this_period = true;
  rule.state = "fired";
  rule.detail.clear();
  log_.info(kLog, "rule '" + name + "' fired");
  std::string refusals;
  bool granted = false;
  rule.retry_at.reset();
  for (std::size_t i = 0; i < rule.cfg.then.size(); ++i) {
    const config::RuleAction& a = rule.cfg.then[i];
    switch (a.kind) {
      case config::RuleAction::Kind::irrigate: {
        if (sink_.zone_running(a.zone)) {
          log_.info(kLog, "rule '" + name + "': zone " + a.zone + " is already running");
          break;
        }
        auto run = sink_.irrigate(a.zone, a.duration, rule.who);
        if (!run) {
          refusals +=
              (refusals.empty() ? "" : "; ") + ("zone " + a.zone + ": ") + run.error().message;
          break;
        }
        granted = true;
        if (rule.untils[i]) rule.runs.push_back({i, *run, now + a.duration});
        break;
      }
      case config::RuleAction::Kind::stop: {
        auto stopped = sink_.stop(a.zone, "rule '" + name + "'", rule.who);
        if (!stopped) {
          log_.warn(kLog,
                    "rule '" + name + "': stop " + a.zone + " failed: " + stopped.error().message);
        }
        break;
      }
      case config::RuleAction::Kind::alarm:
        sink_.alarm(severity_of(a.severity), "rule:" + name, a.message);
        break;
      case config::RuleAction::Kind::publish:
        sink_.publish(a.topic, a.message, a.retain);
        break;
    }
  }
  if (granted) rule.refusal_raised = false;
  if (!refusals.empty()) {
    rule.detail = "refused: " + refusals;
    if (!granted) {
      // Nothing was watered: this was no firing, so no cooldown either; ask again soon.
      rule.last_fired.reset();
      rule.fired_this_period = false;
      rule.retry_at = now + kRetryAfterRefusal;
    }
    if (!rule.refusal_raised) {
      rule.refusal_raised = true;
      sink_.alarm(Severity::warning, "rule_refused",
                  "rule '" + name + "': irrigation refused: " + refusals);
    }
  }
}

bool Engine::zone_inputs_bad(const std::string& zone) const {
  for (const auto& r : rules_) {
    if (!r->input_bad) continue;
    for (const config::RuleAction& a : r->cfg.then) {
      if (a.kind == config::RuleAction::Kind::irrigate && a.zone == zone) return true;
    }
  }
  return false;
}

std::vector<Engine::RuleState> Engine::states() const {
  std::vector<RuleState> out;
  out.reserve(rules_.size());
  for (const auto& r : rules_) out.push_back({r->cfg.name, r->state, r->detail, r->last_fired});
  return out;
}

}  // namespace farmgate::rules
