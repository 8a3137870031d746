// Evaluation of a compiled Program. Values live on the C++ stack; an unknown value carries a
// compact cause (what, which node, which series) that becomes text only if it reaches the result.
#include "rules/expr.h"

#include <algorithm>
#include <cmath>
#include <cstdint>

#include "rules/expr_program.h"

namespace farmgate::rules {

using expr_detail::Node;
using expr_detail::Op;
using expr_detail::Program;
using expr_detail::Ref;

namespace {

constexpr double kDayMs = 86'400'000.0;

enum class Why : std::uint8_t {
  none,
  no_data,
  unhealthy,
  too_few,
  division_by_zero,
  no_time,
  no_weekday,
  no_sunrise,
  no_sunset,
};

struct Value {
  double v = 0;
  Why why = Why::none;  // none: known
  std::int32_t node = -1;
  std::uint32_t dep = 0;  // the series at fault, for unhealthy

  bool known() const { return why == Why::none; }
};

Value known(double v) {
  return Value{v, Why::none, -1, 0};
}
Value unknown(Why why, std::int32_t node, std::uint32_t dep = 0) {
  return Value{0, why, node, dep};
}

double wrap_day(double ms) {
  double r = std::fmod(ms, kDayMs);
  if (r < 0) r += kDayMs;
  return r;
}

std::string format_duration(double ms) {
  auto total = static_cast<long long>(std::llround(ms / 1000));
  if (total <= 0) return std::to_string(std::llround(ms)) + "ms";
  std::string out;
  for (const auto& [unit, secs] :
       {std::pair{'d', 86400LL}, {'h', 3600LL}, {'m', 60LL}, {'s', 1LL}}) {
    if (total >= secs) {
      out += std::to_string(total / secs) + unit;
      total %= secs;
    }
  }
  return out;
}

class Evaluator {
 public:
  Evaluator(const Program& p, const DataView& data, const TimeView& time, Timestamp now)
      : p_(p), data_(data), time_(time), now_(now) {}

  Value eval(std::int32_t i) const {
    const Node& n = p_.nodes[i];
    switch (n.op) {
      case Op::literal:
        return known(n.value);
      case Op::latest:
        return latest(n, i);
      case Op::age:
        return age(n, i);
      case Op::avg:
      case Op::min:
      case Op::max:
      case Op::delta:
        return window(n, i);
      case Op::time_now: {
        const auto t = time_.time_of_day(now_);
        return t ? known(static_cast<double>(t->count())) : unknown(Why::no_time, i);
      }
      case Op::weekday_now: {
        const auto w = time_.weekday(now_);
        return w ? known(w->iso_encoding() - 1.0) : unknown(Why::no_weekday, i);
      }
      case Op::sunrise: {
        const auto t = time_.sunrise(now_);
        return t ? known(static_cast<double>(t->count())) : unknown(Why::no_sunrise, i);
      }
      case Op::sunset: {
        const auto t = time_.sunset(now_);
        return t ? known(static_cast<double>(t->count())) : unknown(Why::no_sunset, i);
      }
      case Op::between: {
        const Value t = eval(n.a);
        if (!t.known()) return t;
        const Value from = eval(n.b);
        if (!from.known()) return from;
        const Value to = eval(n.c);
        if (!to.known()) return to;
        const bool in =
            from.v <= to.v ? (t.v >= from.v && t.v < to.v) : (t.v >= from.v || t.v < to.v);
        return known(in ? 1 : 0);
      }
      case Op::neg: {
        Value x = eval(n.a);
        if (x.known()) x.v = -x.v;
        return x;
      }
      case Op::not_: {
        Value x = eval(n.a);
        if (x.known()) x.v = x.v != 0 ? 0 : 1;
        return x;
      }
      case Op::and_:
      case Op::or_:
        return logic(n);
      case Op::in:
        return in(n);
      default:
        return binary(n, i);
    }
  }

 private:
  // Three-valued: false and anything is false, true or anything is true; otherwise an unknown
  // side makes the whole unknown. The right side is not read when the left decides.
  Value logic(const Node& n) const {
    const double decisive = n.op == Op::and_ ? 0 : 1;
    const Value l = eval(n.a);
    if (l.known() && l.v == decisive) return l;
    const Value r = eval(n.b);
    if (r.known() && r.v == decisive) return r;
    if (!l.known()) return l;
    return r;
  }

  Value in(const Node& n) const {
    const Value x = eval(n.a);
    if (!x.known()) return x;
    Value missing = known(0);
    for (std::uint32_t k = n.list_begin; k < n.list_end; ++k) {
      const Value item = eval(p_.lists[k]);
      if (!item.known()) {
        if (missing.known()) missing = item;
      } else if (item.v == x.v) {
        return known(1);
      }
    }
    return missing;
  }

  Value binary(const Node& n, std::int32_t i) const {
    const Value l = eval(n.a);
    if (!l.known()) return l;
    const Value r = eval(n.b);
    if (!r.known()) return r;
    switch (n.op) {
      case Op::add:
        if (n.type == expr_detail::Type::time) return known(wrap_day(l.v + r.v));
        return known(l.v + r.v);
      case Op::sub:
        if (n.type == expr_detail::Type::time) return known(wrap_day(l.v - r.v));
        return known(l.v - r.v);
      case Op::mul:
        return known(l.v * r.v);
      case Op::div:
        if (r.v == 0) return unknown(Why::division_by_zero, i);
        return known(l.v / r.v);
      case Op::lt:
        return known(l.v < r.v);
      case Op::le:
        return known(l.v <= r.v);
      case Op::gt:
        return known(l.v > r.v);
      case Op::ge:
        return known(l.v >= r.v);
      case Op::eq:
        return known(l.v == r.v);
      case Op::ne:
        return known(l.v != r.v);
      default:
        return unknown(Why::no_data, i);
    }
  }

  // A zone-level reference is the mean over the zone's devices that have a value; it is unknown
  // only when none has. A device-level reference is one series.
  Value latest(const Node& n, std::int32_t i) const {
    const Ref& ref = p_.refs[n.ref];
    double sum = 0;
    int count = 0;
    Value fault = unknown(Why::no_data, i, ref.deps.front());
    for (const auto d : ref.deps) {
      const Latest l = data_.latest(p_.dependencies[d]);
      if (l.status == DataStatus::ok) {
        sum += l.value;
        ++count;
      } else if (l.status == DataStatus::unhealthy && fault.why == Why::no_data) {
        fault = unknown(Why::unhealthy, i, d);
      }
    }
    return count ? known(sum / count) : fault;
  }

  // The age of a zone-level reference is that of its stalest device with data: the zone's
  // value is only as fresh as its oldest part.
  Value age(const Node& n, std::int32_t i) const {
    const Ref& ref = p_.refs[n.ref];
    double oldest = -1;
    Value fault = unknown(Why::no_data, i, ref.deps.front());
    for (const auto d : ref.deps) {
      const Latest l = data_.latest(p_.dependencies[d]);
      if (l.status == DataStatus::ok) {
        oldest = std::max(oldest,
                          static_cast<double>(std::max<std::int64_t>(0, (now_ - l.time).count())));
      } else if (l.status == DataStatus::unhealthy && fault.why == Why::no_data) {
        fault = unknown(Why::unhealthy, i, d);
      }
    }
    return oldest >= 0 ? known(oldest) : fault;
  }

  Value window(const Node& n, std::int32_t i) const {
    const Ref& ref = p_.refs[n.ref];
    const Timestamp from = now_ - Millis{std::llround(n.value)};
    double sum = 0;
    int count = 0;
    bool some_data = false;
    Value fault = unknown(Why::no_data, i, ref.deps.front());
    for (const auto d : ref.deps) {
      const WindowStats w = data_.window(p_.dependencies[d], from, now_);
      if (w.status == DataStatus::unhealthy) {
        if (fault.why == Why::no_data) fault = unknown(Why::unhealthy, i, d);
        continue;
      }
      if (w.status != DataStatus::ok || w.count == 0) continue;
      some_data = true;
      switch (n.op) {
        case Op::avg:
          sum += w.avg;
          break;
        case Op::min:
          sum += w.min;
          break;
        case Op::max:
          sum += w.max;
          break;
        default:
          if (w.count < 2) continue;
          sum += w.last - w.first;
          break;
      }
      ++count;
    }
    if (count) return known(sum / count);
    if (some_data && fault.why == Why::no_data) return unknown(Why::too_few, i);
    return fault;
  }

  const Program& p_;
  const DataView& data_;
  const TimeView& time_;
  Timestamp now_;
};

std::string reason(const Program& p, const Value& v) {
  const Node& n = p.nodes[v.node];
  const std::string src = p.text.substr(n.offset, n.length);
  const bool windowed = n.op == Op::avg || n.op == Op::min || n.op == Op::max || n.op == Op::delta;
  const Ref* ref = (n.op == Op::latest || n.op == Op::age || windowed) ? &p.refs[n.ref] : nullptr;
  switch (v.why) {
    case Why::no_data:
      if (windowed)
        return "no reading of " + ref->text + " in the last " + format_duration(n.value);
      return "no reading of " + ref->text + " yet";
    case Why::unhealthy: {
      std::string s = p.dependencies[v.dep].text() + " is unhealthy";
      if (ref && ref->zone_level) s += " (and no other device of " + ref->text + " has data)";
      return s;
    }
    case Why::too_few:
      return src + " needs at least two readings of " + ref->text + " in the last " +
             format_duration(n.value);
    case Why::division_by_zero:
      return "division by zero in '" + src + "'";
    case Why::no_time:
      return "the local time is not known (clock not synchronised yet)";
    case Why::no_weekday:
      return "the weekday is not known (clock not synchronised yet)";
    case Why::no_sunrise:
      return "today's sunrise is not known";
    case Why::no_sunset:
      return "today's sunset is not known";
    case Why::none:
      break;
  }
  return {};
}

}  // namespace

Expression::Expression(std::unique_ptr<const Program> program) : program_(std::move(program)) {}
Expression::Expression(Expression&&) noexcept = default;
Expression& Expression::operator=(Expression&&) noexcept = default;
Expression::~Expression() = default;

Evaluation Expression::evaluate(const DataView& data, const TimeView& time, Timestamp now) const {
  const Value v = Evaluator(*program_, data, time, now).eval(program_->root);
  if (!v.known()) return Evaluation{Evaluation::Truth::unknown, reason(*program_, v)};
  return Evaluation{v.v != 0 ? Evaluation::Truth::true_ : Evaluation::Truth::false_, {}};
}

const std::vector<SeriesKey>& Expression::dependencies() const {
  return program_->dependencies;
}
Millis Expression::longest_window() const {
  return program_->longest_window;
}
const std::string& Expression::text() const {
  return program_->text;
}

Error CompileResult::to_error() const {
  std::string m;
  for (const auto& e : errors_) {
    if (!m.empty()) m += "; ";
    m += "col " + std::to_string(e.column) + ": " + e.message;
  }
  return make_error("invalid_expression", m);
}

}  // namespace farmgate::rules
