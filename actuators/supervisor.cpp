#include "actuators/supervisor.h"

#include <algorithm>
#include <cmath>
#include <cstdio>

#include <stdexcept>
#include <utility>
#include "actuators/flow_watch.h"

namespace farmgate::actuators {
namespace {

using config::ActuatorType;

// A relay that keeps failing is asked again, ever more slowly, for as long as it takes.
constexpr Millis kMaxRetryDelay{60'000};

std::string seconds(Millis d) {
  return std::to_string((d.count() + 999) / 1000) + " s";
}

std::string floor_seconds(Millis d) {
  return std::to_string(std::max<std::int64_t>(d.count(), 0) / 1000) + " s";
}

Millis since(SteadyTime now, SteadyTime then) {
  return std::chrono::duration_cast<Millis>(now - then);
}

std::string format_lpm(double lpm) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.1f L/min", lpm);
  return buf;
}

}  // namespace

const char* to_string(RunReason r) {
  switch (r) {
    case RunReason::rule:
      return "rule";
    case RunReason::schedule:
      return "schedule";
    case RunReason::manual:
      return "manual";
    case RunReason::remote:
      return "remote";
  }
  return "manual";
}

std::optional<RunReason> parse_run_reason(std::string_view s) {
  for (auto r : {RunReason::rule, RunReason::schedule, RunReason::manual, RunReason::remote}) {
    if (s == to_string(r)) return r;
  }
  return std::nullopt;
}

// supervisor.pml models one of these per relay: `commanded` and `pending` are its cmd/pend.
struct Supervisor::Act {
  config::Actuator cfg;
  std::unique_ptr<ActuatorDriver> driver;
  LineState* line = nullptr;
  bool commanded = false;   // the last command sent was ON
  bool pending = false;     // ... and the device has not confirmed it yet
  bool faulted = false;     // a command went unconfirmed; cleared by a confirmed OFF
  bool must_close = false;  // a valve past its max_runtime: closes whatever the pump does
  std::optional<bool> reported;
  SteadyTime on_since{};
  SteadyTime off_since{};  // last OFF command, then its confirmation: min_off counts from here
  Scheduler::TimerId hard_timer = 0;
  Scheduler::TimerId retry_timer = 0;
  Millis retry_delay{0};
};

struct Supervisor::LineState {
  config::Line cfg;
  Act* pump = nullptr;
  std::vector<Act*> valves;
  SteadyTime pump_lease_end{};    // while the pump is commanded on: when its lease ends
  std::optional<FlowWatch> flow;  // with a flow meter
  Scheduler::TimerId flow_timer = 0;
  // After no_flow or burst: no run starts before this; and why.
  SteadyTime locked_until{};
  std::string lock_reason;
};

struct Supervisor::Run {
  RunRecord record;
  Act* valve = nullptr;
  LineState* line = nullptr;
  // Fixed at the request, so every lease handed to a device is known up front.
  SteadyTime pump_start_at{};
  SteadyTime pump_stop_at{};
  bool ending = false;
  double litres_at_start = 0;
};

Supervisor::Supervisor(const std::vector<config::Actuator>& actuators,
                       const std::vector<config::Line>& lines,
                       std::map<std::string, std::unique_ptr<ActuatorDriver>> drivers,
                       Scheduler& scheduler, Clock& clock, EventSink& events,
                       SupervisorObserver& observer)
    : scheduler_(scheduler), clock_(clock), events_(events), observer_(observer) {
  for (const auto& l : lines) {
    lines_.push_back(std::make_unique<LineState>());
    lines_.back()->cfg = l;
    if (!l.flow.meter.empty()) lines_.back()->flow.emplace(l.flow);
  }
  for (const auto& c : actuators) {
    auto a = std::make_unique<Act>();
    a->cfg = c;
    auto d = drivers.find(c.id);
    if (d == drivers.end() || !d->second) {
      throw std::invalid_argument("no driver for actuator '" + c.id + "'");
    }
    a->driver = std::move(d->second);
    for (auto& l : lines_) {
      if (l->cfg.id == c.line) a->line = l.get();
    }
    // config/ validated this; a broken graph here is a programming error.
    if (a->line == nullptr) throw std::invalid_argument("actuator '" + c.id + "' has no line");
    if (c.type == ActuatorType::pump)
      a->line->pump = a.get();
    else
      a->line->valves.push_back(a.get());
    acts_.push_back(std::move(a));
  }
  for (auto& l : lines_) {
    if (l->pump == nullptr) throw std::invalid_argument("line '" + l->cfg.id + "' has no pump");
  }
}

Supervisor::~Supervisor() {
  stop();
}

Result<void> Supervisor::start() {
  // After a restart nobody knows when a pump last stopped: its rest counts from now.
  const SteadyTime now = scheduler_.now();
  for (auto& a : acts_) {
    a->off_since = now;
    Act* act = a.get();
    if (auto r = a->driver->start([this, act](const DriverReport& rep) { on_report(*act, rep); });
        !r) {
      return r;
    }
  }
  return {};
}

void Supervisor::take_control() {
  if (stopped_ || in_control_) return;
  in_control_ = true;
  const SteadyTime now = scheduler_.now();
  for (auto& a : acts_) a->off_since = now;
  safe_state("start");
}

void Supervisor::stop() {
  if (stopped_) return;
  // Before take_control() nothing was switched, but nothing is known either: off is the answer.
  in_control_ = true;
  safe_state("stop");
  stopped_ = true;
  scheduler_.cancel(wake_timer_);
  wake_timer_ = 0;
  for (auto& l : lines_) {
    scheduler_.cancel(l->flow_timer);
    l->flow_timer = 0;
  }
  for (auto& a : acts_) {
    scheduler_.cancel(a->hard_timer);
    scheduler_.cancel(a->retry_timer);
    a->hard_timer = a->retry_timer = 0;
    a->driver->stop();
  }
}

void Supervisor::raise(Severity s, const std::string& code, const std::string& message) {
  events_.raise(Event{s, code, "actuators", message, clock_.now()});
}

ActuatorState Supervisor::snapshot(const Act& a) const {
  return ActuatorState{a.cfg.id,  a.cfg.type, a.cfg.line, a.cfg.zone, a.commanded,
                       a.pending, a.faulted,  a.reported, a.on_since};
}

Supervisor::Run* Supervisor::run_of_zone(std::string_view zone) {
  for (auto& r : runs_) {
    if (r->record.zone == zone) return r.get();
  }
  return nullptr;
}

void Supervisor::command(Act& a, bool on, Millis lease) {
  const SteadyTime now = scheduler_.now();
  scheduler_.cancel(a.hard_timer);
  a.hard_timer = 0;
  scheduler_.cancel(a.retry_timer);
  a.retry_timer = 0;
  a.commanded = on;
  a.pending = true;
  if (on) {
    a.on_since = now;
    // The hard limit has its own timer, independent of every run's bookkeeping.
    a.hard_timer = scheduler_.after(a.cfg.max_runtime, [this, &a] {
      a.hard_timer = 0;
      if (a.commanded) on_hard_limit(a);
    });
  } else {
    a.off_since = now;
    a.must_close = false;
    if (a.cfg.type == ActuatorType::pump) {
      scheduler_.cancel(a.line->flow_timer);
      a.line->flow_timer = 0;
    }
  }
  a.driver->set(on, on ? std::min(lease, a.cfg.max_runtime) : Millis{0});
  observer_.actuator_changed(snapshot(a));
}

void Supervisor::fault(Act& a, const std::string& why) {
  if (a.faulted) return;
  a.faulted = true;
  a.retry_delay = a.cfg.driver.confirm_timeout;
  raise(Severity::alarm, "actuator_not_responding", a.cfg.id + ": " + why);
}

void Supervisor::retry_off(Act& a) {
  scheduler_.cancel(a.retry_timer);
  a.retry_timer = scheduler_.after(a.retry_delay, [this, &a] {
    a.retry_timer = 0;
    if (!a.commanded && !a.pending) {
      command(a, false);
      reconcile();
    }
  });
  a.retry_delay = std::min(a.retry_delay * 2, kMaxRetryDelay);
}

void Supervisor::end_run(Run& r, const std::string& outcome, const std::string& detail) {
  if (r.ending) return;
  r.ending = true;
  r.record.outcome = outcome;
  r.record.detail = detail;
}

void Supervisor::end_runs_on(LineState& l, const std::string& outcome, const std::string& detail) {
  for (auto& r : runs_) {
    if (r->line == &l) end_run(*r, outcome, detail);
  }
}

void Supervisor::on_report(Act& a, const DriverReport& rep) {
  if (stopped_ || !in_control_) return;
  const SteadyTime now = scheduler_.now();
  switch (rep.kind) {
    case DriverReport::Kind::confirmed:
      if (!a.pending || rep.on != a.commanded) return;  // superseded by a later command
      a.pending = false;
      a.reported = rep.on;
      if (rep.on && a.cfg.type == ActuatorType::pump && a.line->flow) {
        a.line->flow->pump_started(now);
        arm_flow_check(*a.line);
      }
      if (!rep.on) {
        a.off_since = now;
        if (a.faulted) {
          a.faulted = false;
          raise(Severity::info, "actuator_recovered", a.cfg.id + " answers again and is off");
        }
      }
      break;
    case DriverReport::Kind::failed:
      if (!a.pending || rep.on != a.commanded) return;
      a.pending = false;
      fault(a, rep.message);
      if (rep.on) {
        // It may or may not be on: take it back off, and never ask it for ON again until it
        // has confirmed an OFF.
        if (a.cfg.type == ActuatorType::pump) {
          end_runs_on(*a.line, "failed", a.cfg.id + " did not confirm ON");
        } else if (Run* r = run_of_zone(a.cfg.zone)) {
          end_run(*r, "failed", a.cfg.id + " did not confirm ON");
        }
        command(a, false);
      } else {
        retry_off(a);
      }
      break;
    case DriverReport::Kind::changed:
      a.reported = rep.on;
      if (a.pending) break;
      if (rep.on && !a.commanded) {
        raise(Severity::alarm, "unexpected_on",
              a.cfg.id + " reported ON without farmgate asking; switching it off");
        command(a, false);
      } else if (!rep.on && a.commanded) {
        // Its own auto-off, a button, a power blip: it is off, and so is its run.
        a.commanded = false;
        a.off_since = now;
        scheduler_.cancel(a.hard_timer);
        a.hard_timer = 0;
        raise(Severity::warning, "device_off", a.cfg.id + " switched off by itself");
        if (a.cfg.type == ActuatorType::valve && a.line->pump->commanded) {
          bool other_open = false;
          for (Act* v : a.line->valves) other_open = other_open || (v->commanded && !v->pending);
          if (!other_open) {
            raise(Severity::warning, "interlock",
                  "interlock: no open valve on line " + a.line->cfg.id + "; " +
                      a.line->pump->cfg.id + " switched off");
          }
        }
        if (a.cfg.type == ActuatorType::pump) {
          end_runs_on(*a.line, "device_off", a.cfg.id + " switched off by itself");
        } else if (Run* r = run_of_zone(a.cfg.zone)) {
          end_run(*r, "device_off", a.cfg.id + " switched off by itself");
        }
      }
      break;
  }
  observer_.actuator_changed(snapshot(a));
  reconcile();
}

void Supervisor::on_hard_limit(Act& a) {
  raise(Severity::alarm, "max_runtime_hit",
        a.cfg.id + " reached its max_runtime of " + seconds(a.cfg.max_runtime) + "; switched off");
  LineState& l = *a.line;
  const std::string detail = a.cfg.id + " reached max_runtime";
  if (a.cfg.type == ActuatorType::pump) {
    end_runs_on(l, "max_runtime", detail);
    command(a, false);
  } else {
    if (Run* r = run_of_zone(a.cfg.zone)) end_run(*r, "max_runtime", detail);
    bool other_open = false;
    for (Act* v : l.valves) other_open = other_open || (v != &a && v->commanded && !v->pending);
    // Pump first, even now: the valve must close, and the pump must not outlive the last one.
    if (!other_open && (l.pump->commanded || l.pump->pending)) command(*l.pump, false);
    command(a, false);
  }
  reconcile();
}

Result<RunGrant> Supervisor::irrigate(const std::string& zone, Millis duration, RunReason reason,
                                      const std::string& who) {
  if (stopped_) return make_error("stopped", "stopped: the supervisor is not running");
  if (!in_control_) {
    return make_error("not_ready",
                      "not_ready: the actuators are not under control yet "
                      "(waiting for the MQTT broker)");
  }
  Act* v = nullptr;
  for (auto& a : acts_) {
    if (a->cfg.type == ActuatorType::valve && a->cfg.zone == zone) v = a.get();
  }
  if (v == nullptr)
    return make_error("unknown_zone", "unknown_zone: no valve waters zone '" + zone + "'");
  if (duration <= Millis{0}) return make_error("invalid", "invalid: duration must be positive");
  if (Run* r = run_of_zone(zone)) {
    return make_error("busy", "busy: zone " + zone + " is already being watered (run " +
                                  std::to_string(r->record.id) + ")");
  }
  LineState& l = *v->line;
  Act& p = *l.pump;
  for (Act* a : {v, &p}) {
    if (a->faulted) {
      return make_error("fault", "fault: " + a->cfg.id +
                                     " is not responding; waiting for it "
                                     "to confirm OFF");
    }
  }
  if (v->commanded || v->pending) {
    return make_error("busy", "busy: " + v->cfg.id + " is still closing");
  }
  if (const SteadyTime now = scheduler_.now(); now < l.locked_until) {
    return make_error(l.lock_reason, l.lock_reason + ": line " + l.cfg.id + " is locked for " +
                                         seconds(since(l.locked_until, now)) +
                                         " after a flow alarm; check the well and the pipes");
  }
  if (p.pending && !p.commanded) {
    return make_error("busy", "busy: " + p.cfg.id + " on line " + l.cfg.id + " is stopping");
  }
  std::vector<std::string> open;
  for (Act* u : l.valves) {
    if (u->commanded || u->pending) open.push_back(u->cfg.id);
  }
  if (open.size() >= l.cfg.max_open_valves) {
    std::string names;
    for (const auto& n : open) names += (names.empty() ? "" : ", ") + n;
    return make_error("max_open_valves", "max_open_valves: line " + l.cfg.id + " already has " +
                                             std::to_string(open.size()) + " open valve" +
                                             (open.size() == 1 ? "" : "s") + " (" + names + ")");
  }
  const SteadyTime now = scheduler_.now();
  for (Act* a : {&p, v}) {
    if (a == &p && p.commanded) continue;  // joining a pump that already runs
    const Millis rested = since(now, a->off_since);
    if (rested < a->cfg.min_off) {
      return make_error("min_off", "min_off: " + a->cfg.id + " rested " + floor_seconds(rested) +
                                       " of " + seconds(a->cfg.min_off));
    }
  }
  // The valve must outlast the pump by the delays and the time the pump has to confirm OFF.
  const Millis margin =
      l.cfg.pump_start_delay + l.cfg.valve_close_delay + p.cfg.driver.confirm_timeout;
  Millis limit = std::min(p.cfg.max_runtime, v->cfg.max_runtime - margin);
  std::string limit_why = v->cfg.id + "'s max_runtime (" + seconds(v->cfg.max_runtime) +
                          ") leaves no time after the line's delays and the pump's "
                          "confirm_timeout";
  if (p.commanded) {
    // A pump that already runs keeps the lease it was given; a joining zone fits inside it.
    const Millis left = since(l.pump_lease_end, now + l.cfg.pump_start_delay);
    if (left < limit) {
      limit = left;
      limit_why = p.cfg.id + " has " + floor_seconds(left) + " of its run left";
    }
  }
  if (limit < Millis{1000}) return make_error("max_runtime", "max_runtime: " + limit_why);
  const Millis granted = std::min(duration, limit);

  auto run = std::make_unique<Run>();
  run->valve = v;
  run->line = &l;
  run->pump_start_at = now + l.cfg.pump_start_delay;
  run->pump_stop_at = run->pump_start_at + granted;
  RunRecord& rec = run->record;
  rec.id = next_run_id_++;
  rec.zone = zone;
  rec.line = l.cfg.id;
  rec.actuators = {v->cfg.id, p.cfg.id};
  rec.start = clock_.now();
  rec.reason = reason;
  rec.who = who;
  rec.requested = duration;
  rec.granted = granted;
  if (l.flow) run->litres_at_start = l.flow->litres();
  runs_.push_back(std::move(run));
  const RunGrant grant{rec.id, granted};
  observer_.run_started(rec);
  command(*v, true, margin + granted);
  reconcile();
  return grant;
}

Result<void> Supervisor::stop_zone(const std::string& zone, const std::string& reason,
                                   const std::string& who) {
  Run* r = run_of_zone(zone);
  if (r == nullptr || r->ending) {
    return make_error("not_running", "not_running: zone " + zone + " is not being watered");
  }
  end_run(*r, "stopped", reason + (who.empty() ? "" : " (" + who + ")"));
  reconcile();
  return {};
}

void Supervisor::stop_all(const std::string& reason) {
  for (auto& r : runs_) end_run(*r, "stopped", reason);
  reconcile();
}

void Supervisor::safe_state(const std::string& reason) {
  if (stopped_ || !in_control_) return;
  for (auto& r : runs_) end_run(*r, "safe_state", reason);
  // Pumps first, then valves, with no delay: this is the state to be in when nobody watches.
  // Sent even to actuators believed off: after a crash or at start nobody knows.
  for (auto& l : lines_) command(*l->pump, false);
  for (auto& l : lines_) {
    for (Act* v : l->valves) command(*v, false);
  }
  const Timestamp end = clock_.now();
  for (auto& r : runs_) finish_run(*r, end);
  runs_.clear();
  reconcile();
}

void Supervisor::reconcile() {
  // Observers may call back in (a run ends, a rule asks again); the outer pass sees it all.
  if (reconciling_ || stopped_) return;
  reconciling_ = true;
  std::optional<SteadyTime> wake;
  for (auto& l : lines_) reconcile(*l, wake);
  const Timestamp end = clock_.now();
  for (auto it = runs_.begin(); it != runs_.end();) {
    Run& r = **it;
    if (r.ending && !r.valve->commanded && !r.valve->pending) {
      finish_run(r, end);
      it = runs_.erase(it);
    } else {
      ++it;
    }
  }
  scheduler_.cancel(wake_timer_);
  wake_timer_ = 0;
  if (wake) {
    const Millis in = std::max(since(*wake, scheduler_.now()), Millis{0});
    wake_timer_ = scheduler_.after(in, [this] {
      wake_timer_ = 0;
      reconcile();
    });
  }
  reconciling_ = false;
}

// One step of the line towards what its runs want, never breaking an interlock on the way.
// supervisor.pml's `supervisor` process is this function.
void Supervisor::reconcile(LineState& l, std::optional<SteadyTime>& wake) {
  const SteadyTime now = scheduler_.now();
  const auto later = [&wake](SteadyTime t) {
    if (!wake || t < *wake) wake = t;
  };
  for (auto& r : runs_) {
    if (r->line == &l && !r->ending && now >= r->pump_stop_at) end_run(*r, "completed", {});
  }
  const auto is_open = [](const Act* v) { return v->commanded && !v->pending; };
  const auto wanted = [this](const Act* v) {
    for (const auto& r : runs_) {
      if (r->valve == v && !r->ending) return !v->must_close;
    }
    return false;
  };
  Act& p = *l.pump;
  bool pump_wanted = false;
  SteadyTime lease_end{};
  for (auto& r : runs_) {
    if (r->line != &l || r->ending) continue;
    later(r->pump_stop_at);
    if (!is_open(r->valve) || !wanted(r->valve)) continue;
    if (now >= r->pump_start_at) {
      pump_wanted = true;
      lease_end = std::max(lease_end, r->pump_stop_at);
    } else {
      later(r->pump_start_at);
    }
  }
  // The pump: OFF at once when nothing wants it or no valve is open; ON only with an open valve.
  if (p.commanded && !pump_wanted) {
    command(p, false);
  } else if (!p.commanded && !p.pending && !p.faulted && pump_wanted) {
    const Millis rested = since(now, p.off_since);
    if (rested >= p.cfg.min_off) {
      const Millis lease = std::min(since(lease_end, now), p.cfg.max_runtime);
      if (lease > Millis{0}) {
        l.pump_lease_end = now + lease;
        command(p, true, lease);
      }
    } else {
      later(p.off_since + p.cfg.min_off);
    }
  }
  // The valves: a valve no run wants closes once the pump is confirmed off for
  // valve_close_delay, or at once while another open valve carries the pump.
  const bool pump_off = !p.commanded && !p.pending && !p.faulted;
  for (Act* v : l.valves) {
    if (!v->commanded || wanted(v)) continue;
    bool other_open = false;
    for (Act* u : l.valves) other_open = other_open || (u != v && is_open(u) && wanted(u));
    if (v->must_close || other_open) {
      command(*v, false);
    } else if (pump_off) {
      const SteadyTime at = p.off_since + l.cfg.valve_close_delay;
      if (now >= at)
        command(*v, false);
      else
        later(at);
    }
    // Otherwise the pump may still run: the valve stays open until the pump confirms OFF, and
    // at the latest until its own max_runtime timer closes it.
  }
  if (l.flow) {
    bool busy = p.commanded || p.pending;
    for (Act* v : l.valves) busy = busy || v->commanded || v->pending;
    if (busy)
      l.flow->line_busy();
    else
      l.flow->line_idle(now);
  }
}

void Supervisor::finish_run(Run& r, Timestamp end) {
  r.record.end = end;
  if (r.line->flow) r.record.volume_l = std::max(r.line->flow->litres() - r.litres_at_start, 0.0);
  observer_.run_finished(r.record);
}

void Supervisor::arm_flow_check(LineState& l) {
  scheduler_.cancel(l.flow_timer);
  const SteadyTime due = l.flow->last_flow() + l.flow->config().verify_after;
  l.flow_timer = scheduler_.after(std::max(since(due, scheduler_.now()), Millis{0}), [this, &l] {
    l.flow_timer = 0;
    Act& p = *l.pump;
    if (!p.commanded || p.pending || stopped_) return;
    const config::FlowCheck& f = l.flow->config();
    if (since(scheduler_.now(), l.flow->last_flow()) < f.verify_after) return arm_flow_check(l);
    const std::string what = l.flow->heard_since_start()
                                 ? "less than " + format_lpm(f.min_lpm) + " (last " +
                                       format_lpm(l.flow->last_lpm()) + ")"
                                 : "no reading from flow meter " + f.meter;
    flow_fault(l, "no_flow",
               "no_flow: " + p.cfg.id + " ran " + seconds(f.verify_after) + " on line " + l.cfg.id +
                   " with " + what + " (dry well, closed or stuck valve, broken pipe?); stopped");
  });
}

void Supervisor::flow_fault(LineState& l, const std::string& code, const std::string& message) {
  raise(Severity::alarm, code, message);
  l.locked_until = scheduler_.now() + l.flow->config().lockout;
  l.lock_reason = code;
  end_runs_on(l, code, message);
  reconcile();
}

void Supervisor::on_reading(const Reading& r) {
  if (stopped_) return;
  for (auto& l : lines_) {
    if (!l->flow || l->flow->config().meter != r.device || !std::isfinite(r.value)) continue;
    const config::FlowCheck& f = l->flow->config();
    if (r.metric == f.total) l->flow->total(r.value);
    if (r.metric != f.rate) continue;
    const bool pumping = l->pump->commanded && !l->pump->pending;
    switch (l->flow->rate(r.value, scheduler_.now(), pumping)) {
      case FlowWatch::Verdict::ok:
        break;
      case FlowWatch::Verdict::burst:
        flow_fault(*l, "burst",
                   "burst: " + format_lpm(r.value) + " on line " + l->cfg.id + ", more than " +
                       format_lpm(f.max_lpm) + " (burst pipe or open end?); stopped");
        break;
      case FlowWatch::Verdict::leak:
        raise(Severity::alarm, "leak",
              "leak: " + format_lpm(r.value) + " through " + f.meter + " on line " + l->cfg.id +
                  " with every pump and valve off for " + seconds(f.leak_after) +
                  " (valve stuck open, leaking pipe?)");
        break;
      case FlowWatch::Verdict::leak_cleared:
        raise(Severity::info, "leak_cleared", "flow on line " + l->cfg.id + " stopped");
        break;
    }
  }
}

std::vector<ActuatorState> Supervisor::actuators() const {
  std::vector<ActuatorState> out;
  for (const auto& a : acts_) out.push_back(snapshot(*a));
  return out;
}

std::vector<ZoneState> Supervisor::zones() const {
  std::vector<ZoneState> out;
  for (const auto& a : acts_) {
    if (a->cfg.type != ActuatorType::valve) continue;
    ZoneState z{a->cfg.zone, a->cfg.id, std::nullopt};
    for (const auto& r : runs_) {
      if (r->valve == a.get()) z.run = r->record;
    }
    out.push_back(std::move(z));
  }
  return out;
}

bool Supervisor::quiescent() const {
  if (!runs_.empty()) return false;
  for (const auto& a : acts_) {
    if (a->commanded || a->pending) return false;
  }
  return true;
}

}  // namespace farmgate::actuators
