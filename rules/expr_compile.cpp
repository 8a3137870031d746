// compile(): parser, name resolution and type checker in one recursive-descent pass that emits
// the Program's nodes bottom-up. A syntax error stops the pass; name and type errors do not (the
// node gets Type::error, which silences every error that would only follow from it).
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "rules/expr.h"
#include "rules/expr_lexer.h"
#include "rules/expr_program.h"

namespace farmgate::rules {

using expr_detail::Node;
using expr_detail::Op;
using expr_detail::Program;
using expr_detail::Ref;
using expr_detail::Tok;
using expr_detail::Token;
using expr_detail::Type;

namespace {

constexpr std::size_t kMaxTextBytes = 4096;
constexpr int kMaxDepth = 64;
constexpr std::size_t kMaxErrors = 20;
constexpr double kMaxWindowMs = 366 * 86'400'000.0;

const char* type_name(Type t) {
  switch (t) {
    case Type::number:
      return "a number";
    case Type::duration:
      return "a duration";
    case Type::time:
      return "a time of day";
    case Type::weekday:
      return "a weekday";
    case Type::boolean:
      return "a condition";
    case Type::error:
      return "an invalid value";
  }
  return "?";
}

std::string join(const std::vector<std::string>& items) {
  constexpr std::size_t kShown = 12;
  std::string out;
  for (std::size_t i = 0; i < items.size() && i < kShown; ++i) {
    if (i) out += ", ";
    out += items[i];
  }
  if (items.size() > kShown) out += ", ...";
  if (items.empty()) out = "none";
  return out;
}

struct Function {
  std::string_view name;
  Op op;
};
constexpr Function kFunctions[] = {
    {"avg", Op::avg},
    {"min", Op::min},
    {"max", Op::max},
    {"delta", Op::delta},
    {"age", Op::age},
    {"time", Op::time_now},
    {"weekday", Op::weekday_now},
    {"sunrise", Op::sunrise},
    {"sunset", Op::sunset},
    {"between", Op::between},
};

std::string function_list() {
  std::vector<std::string> names;
  for (const auto& f : kFunctions) names.emplace_back(f.name);
  return join(names);
}

int weekday_of(std::string_view s) {
  static constexpr std::string_view kShort[] = {"mon", "tue", "wed", "thu", "fri", "sat", "sun"};
  static constexpr std::string_view kLong[] = {"monday", "tuesday",  "wednesday", "thursday",
                                               "friday", "saturday", "sunday"};
  for (int i = 0; i < 7; ++i) {
    if (s == kShort[i] || s == kLong[i]) return i;
  }
  return -1;
}

bool is_comparison(Tok t) {
  return t == Tok::lt || t == Tok::le || t == Tok::gt || t == Tok::ge || t == Tok::eq ||
         t == Tok::ne;
}

struct RawError {
  std::uint32_t offset;
  std::uint32_t length;
  std::string message;
};

// What a dotted name means, or why it means nothing.
struct Resolution {
  bool ok = false;
  bool zone_level = false;
  std::vector<SeriesKey> series;
  std::string error;
};

class Resolver {
 public:
  explicit Resolver(const Catalogue& c) : c_(c) {}

  Resolution resolve(std::string_view s) const {
    std::vector<std::size_t> dots;
    for (std::size_t i = 0; i < s.size(); ++i) {
      if (s[i] == '.') dots.push_back(i);
    }
    // Ids may themselves contain '.', so every split is tried; exactly one must fit.
    std::vector<Resolution> matches;
    std::vector<std::string> meanings;
    for (std::size_t i = 0; i < dots.size(); ++i) {
      const auto dev = s.substr(0, dots[i]);
      const auto met = s.substr(dots[i] + 1);
      if (auto r = device_metric(dev, met); r.ok) {
        matches.push_back(std::move(r));
        meanings.push_back("metric " + std::string(met) + " of device " + std::string(dev));
      }
      for (std::size_t j = i + 1; j < dots.size(); ++j) {
        const auto zone = s.substr(0, dots[i]);
        const auto kind = s.substr(dots[i] + 1, dots[j] - dots[i] - 1);
        const auto metric = s.substr(dots[j] + 1);
        if (auto r = zone_metric(zone, kind, metric); r.ok) {
          matches.push_back(std::move(r));
          meanings.push_back("metric " + std::string(metric) + " of the " + std::string(kind) +
                             " devices in zone " + std::string(zone));
        }
      }
    }
    if (matches.size() == 1) return std::move(matches[0]);
    Resolution r;
    if (matches.size() > 1) {
      r.error = "'" + std::string(s) + "' is ambiguous: it can mean the " + meanings[0] +
                " or the " + meanings[1] + "; rename a device or zone";
      return r;
    }
    if (const std::string hint = subtraction(s); !hint.empty()) {
      r.error = "unknown metric '" + std::string(s) + "': names may contain '-', so to " +
                "subtract put spaces around it: '" + hint + "'";
      return r;
    }
    r.error = explain(s, dots);
    if (has_unknown_hyphenated_part(s)) {
      r.error += "; names may contain '-', so to subtract put spaces around it, e.g. 'a - b'";
    }
    return r;
  }

 private:
  Resolution device_metric(std::string_view dev, std::string_view met) const {
    Resolution r;
    const auto* d = c_.find_device(dev);
    if (!d) return r;
    const auto* k = c_.find_kind(d->kind);
    if (!k || std::find(k->metrics.begin(), k->metrics.end(), met) == k->metrics.end()) return r;
    r.ok = true;
    r.series.push_back(SeriesKey{d->id, std::string(met)});
    return r;
  }

  // "site" stands for the devices without a zone.
  Resolution zone_metric(std::string_view zone, std::string_view kind, std::string_view met) const {
    Resolution r;
    const bool site = zone == "site";
    if (!site && !c_.has_zone(zone)) return r;
    const auto* k = c_.find_kind(kind);
    if (!k || std::find(k->metrics.begin(), k->metrics.end(), met) == k->metrics.end()) return r;
    for (const auto& d : c_.devices) {
      if (d.kind == kind && (site ? d.zone.empty() : d.zone == zone)) {
        r.series.push_back(SeriesKey{d.id, std::string(met)});
      }
    }
    r.ok = !r.series.empty();
    r.zone_level = true;
    return r;
  }

  // Why a name with no full match fails, read the way it was most likely meant.
  std::string explain(std::string_view s, const std::vector<std::size_t>& dots) const {
    const std::string q = "'" + std::string(s) + "'";
    const std::string forms = "a metric is ZONE.KIND.METRIC or DEVICE.METRIC, e.g. ";
    const std::string example = this->example();
    if (dots.empty()) return "unknown name " + q + ": " + forms + example;
    if (dots.size() == 1) {
      const auto first = s.substr(0, dots[0]);
      const auto met = s.substr(dots[0] + 1);
      if (c_.has_zone(first) || first == "site") {
        return "unknown metric " + q + ": " + std::string(first) +
               " is a zone, so write ZONE.KIND.METRIC, e.g. " + std::string(first) + "." +
               (c_.kinds.empty() ? "KIND" : c_.kinds[0].name) + "." + std::string(met);
      }
      const auto* d = c_.find_device(first);
      if (!d) return "unknown metric " + q + " (devices: " + device_list() + ")";
      const auto* k = c_.find_kind(d->kind);
      return "unknown metric " + q + " (" + d->id + " is a " + d->kind +
             " device with metrics: " + (k ? join(k->metrics) : "none") + ")";
    }
    if (dots.size() == 2) {
      const auto zone = s.substr(0, dots[0]);
      const auto kind = s.substr(dots[0] + 1, dots[1] - dots[0] - 1);
      const auto met = s.substr(dots[1] + 1);
      if (zone != "site" && !c_.has_zone(zone)) {
        if (c_.find_device(zone)) {
          return "unknown metric " + q + ": " + std::string(zone) +
                 " is a device, so write DEVICE.METRIC, e.g. " + std::string(zone) + "." +
                 std::string(met);
        }
        return "unknown metric " + q + " (zones: " + join(c_.zones) + ")";
      }
      const auto* k = c_.find_kind(kind);
      if (!k) {
        std::vector<std::string> kinds;
        for (const auto& x : c_.kinds) kinds.push_back(x.name);
        return "unknown metric " + q + " (kinds: " + join(kinds) + ")";
      }
      if (std::find(k->metrics.begin(), k->metrics.end(), met) == k->metrics.end()) {
        return "unknown metric " + q + " (" + k->name + " metrics: " + join(k->metrics) + ")";
      }
      std::vector<std::string> where;
      for (const auto& d : c_.devices) {
        if (d.kind != kind) continue;
        const std::string z = d.zone.empty() ? "site" : d.zone;
        if (std::find(where.begin(), where.end(), z) == where.end()) where.push_back(z);
      }
      const std::string in =
          zone == "site" ? "without a zone (site)" : "in zone " + std::string(zone);
      return "no " + k->name + " device " + in + ", so " + q + " can never have data (" + k->name +
             " devices are in: " + join(where) + ")";
    }
    return "unknown metric " + q + ": " + forms + example;
  }

  // A name like "z1.soil.moisture-5" is one name; if a prefix before a '-' is a metric, the
  // writer most likely meant a subtraction: returns it written with spaces, or "".
  std::string subtraction(std::string_view s) const {
    for (std::size_t i = s.find('-'); i != std::string_view::npos; i = s.find('-', i + 1)) {
      const auto left = s.substr(0, i);
      if (left.find('.') != std::string_view::npos && resolve_quiet(left)) {
        return std::string(left) + " - " + std::string(s.substr(i + 1));
      }
    }
    return {};
  }

  // True if a '.'-separated part of the name contains '-' and names nothing we know; then the
  // '-' may have been meant as a minus.
  bool has_unknown_hyphenated_part(std::string_view s) const {
    std::size_t start = 0;
    while (start <= s.size()) {
      std::size_t end = s.find('.', start);
      if (end == std::string_view::npos) end = s.size();
      const auto part = s.substr(start, end - start);
      if (part.find('-') != std::string_view::npos && !known_word(part)) return true;
      start = end + 1;
    }
    return false;
  }

  bool known_word(std::string_view w) const {
    if (c_.has_zone(w) || c_.find_device(w) || c_.find_kind(w)) return true;
    for (const auto& k : c_.kinds) {
      if (std::find(k.metrics.begin(), k.metrics.end(), w) != k.metrics.end()) return true;
    }
    return false;
  }

  bool resolve_quiet(std::string_view s) const {
    for (std::size_t i = 0; i < s.size(); ++i) {
      if (s[i] != '.') continue;
      if (device_metric(s.substr(0, i), s.substr(i + 1)).ok) return true;
      for (std::size_t j = i + 1; j < s.size(); ++j) {
        if (s[j] == '.' &&
            zone_metric(s.substr(0, i), s.substr(i + 1, j - i - 1), s.substr(j + 1)).ok) {
          return true;
        }
      }
    }
    return false;
  }

  std::string device_list() const {
    std::vector<std::string> ids;
    for (const auto& d : c_.devices) ids.push_back(d.id);
    return join(ids);
  }

  std::string example() const {
    for (const auto& d : c_.devices) {
      const auto* k = c_.find_kind(d.kind);
      if (!k || k->metrics.empty()) continue;
      return (d.zone.empty() ? std::string("site") : d.zone) + "." + d.kind + "." + k->metrics[0];
    }
    return "z1.soil.moisture";
  }

  const Catalogue& c_;
};

}  // namespace

class ExpressionCompiler {
 public:
  ExpressionCompiler(std::string_view text, const Catalogue& catalogue)
      : text_(text), resolver_(catalogue) {}

  CompileResult run() {
    if (text_.size() > kMaxTextBytes) {
      return std::vector<Diagnostic>{
          Diagnostic{1, 1, "the expression is too long (at most 4096 characters)"}};
    }
    toks_ = expr_detail::lex(text_);
    for (const auto& t : toks_) {
      if (t.kind == Tok::error) error(t.offset, t.length, t.message);
    }
    if (errors_.empty()) {
      if (toks_.front().kind == Tok::end) {
        syntax(toks_.front(), "the condition is empty");
      } else {
        const std::int32_t root = parse_or();
        if (!failed_ && peek().kind != Tok::end) {
          syntax(peek(), "unexpected " + shown(peek()) +
                             " after a complete condition; join conditions with 'and' or 'or'");
        }
        if (!failed_ && root >= 0) {
          const Node& n = prog_.nodes[root];
          if (n.type != Type::boolean && n.type != Type::error) {
            error(n.offset, n.length,
                  std::string("a condition must be true or false, but this is ") +
                      type_name(n.type) + "; compare it with something, e.g. '... < 30'");
          }
          prog_.root = root;
        }
      }
    }
    if (!errors_.empty()) return diagnostics();
    finish();
    return Expression(std::make_unique<const Program>(std::move(prog_)));
  }

 private:
  // ---- errors ----
  void error(std::uint32_t offset, std::uint32_t length, std::string message) {
    if (errors_.size() < kMaxErrors) errors_.push_back({offset, length, std::move(message)});
  }
  void syntax(const Token& at, std::string message) {
    if (!failed_) error(at.offset, std::max<std::uint32_t>(at.length, 1), std::move(message));
    failed_ = true;
  }
  void node_error(std::int32_t n, std::string message) {
    error(prog_.nodes[n].offset, prog_.nodes[n].length, std::move(message));
  }
  std::string shown(const Token& t) const {
    if (t.kind == Tok::end) return describe(t.kind);
    return "'" + std::string(text_.substr(t.offset, t.length)) + "'";
  }
  std::vector<Diagnostic> diagnostics() const {
    std::vector<Diagnostic> out;
    for (const auto& e : errors_) {
      const int col = 1 + chars(0, e.offset);
      const int len = std::max(1, chars(e.offset, e.offset + e.length));
      out.push_back(Diagnostic{col, len, e.message});
    }
    return out;
  }
  int chars(std::size_t from, std::size_t to) const {
    int n = 0;
    for (std::size_t i = from; i < to && i < text_.size(); ++i) {
      if ((static_cast<unsigned char>(text_[i]) & 0xC0) != 0x80) ++n;
    }
    return n;
  }

  // ---- tokens ----
  const Token& peek() const { return toks_[pos_]; }
  const Token& next() { return toks_[pos_ < toks_.size() - 1 ? pos_++ : pos_]; }
  bool is_word(const Token& t, std::string_view w) const {
    return t.kind == Tok::name && text_.substr(t.offset, t.length) == w;
  }

  // ---- nodes ----
  std::int32_t add(Node n) {
    prog_.nodes.push_back(n);
    return static_cast<std::int32_t>(prog_.nodes.size() - 1);
  }
  Node span(Op op, std::uint32_t from, std::uint32_t to) const {
    Node n;
    n.op = op;
    n.offset = from;
    n.length = to - from;
    return n;
  }
  std::uint32_t end_of(std::int32_t n) const {
    return prog_.nodes[n].offset + prog_.nodes[n].length;
  }
  Type type(std::int32_t n) const { return prog_.nodes[n].type; }

  // ---- grammar (docs/rules.md) ----
  struct Depth {
    explicit Depth(ExpressionCompiler& c) : c_(c) { ++c_.depth_; }
    ~Depth() { --c_.depth_; }
    Depth(const Depth&) = delete;
    Depth& operator=(const Depth&) = delete;
    ExpressionCompiler& c_;
  };
  bool too_deep() {
    if (depth_ <= kMaxDepth) return false;
    syntax(peek(), "the condition is nested too deeply");
    return true;
  }

  std::int32_t parse_or() { return parse_logic("or", Op::or_, &ExpressionCompiler::parse_and); }
  std::int32_t parse_and() { return parse_logic("and", Op::and_, &ExpressionCompiler::parse_not); }

  std::int32_t parse_logic(std::string_view word, Op op,
                           std::int32_t (ExpressionCompiler::*operand)()) {
    std::int32_t l = (this->*operand)();
    while (!failed_ && is_word(peek(), word)) {
      next();
      const std::int32_t r = (this->*operand)();
      if (failed_) return -1;
      Node n = span(op, prog_.nodes[l].offset, end_of(r));
      n.a = l;
      n.b = r;
      n.type = Type::boolean;
      if (type(l) == Type::error || type(r) == Type::error) n.type = Type::error;
      for (const auto side : {l, r}) {
        if (type(side) != Type::boolean && type(side) != Type::error) {
          node_error(side, "'" + std::string(word) + "' needs a condition on " +
                               (side == l ? "its left" : "its right") + " side, but this is " +
                               type_name(type(side)));
          n.type = Type::error;
        }
      }
      l = add(n);
    }
    return failed_ ? -1 : l;
  }

  std::int32_t parse_not() {
    Depth d(*this);
    if (too_deep()) return -1;
    if (!is_word(peek(), "not")) return parse_comparison();
    const Token& t = next();
    const std::int32_t x = parse_not();
    if (failed_) return -1;
    Node n = span(Op::not_, t.offset, end_of(x));
    n.a = x;
    n.type = Type::boolean;
    if (type(x) == Type::error) {
      n.type = Type::error;
    } else if (type(x) != Type::boolean) {
      node_error(x, std::string("'not' needs a condition, but this is ") + type_name(type(x)));
      n.type = Type::error;
    }
    return add(n);
  }

  std::int32_t parse_comparison() {
    const std::int32_t l = parse_sum();
    if (failed_) return -1;
    if (is_word(peek(), "in")) return parse_in(l);
    if (!is_comparison(peek().kind)) return l;
    const Token op = next();
    const std::int32_t r = parse_sum();
    if (failed_) return -1;
    if (is_comparison(peek().kind)) {
      syntax(peek(), "comparisons do not chain: write 'a < b and b < c'");
      return -1;
    }
    static constexpr std::pair<Tok, Op> kOps[] = {{Tok::lt, Op::lt}, {Tok::le, Op::le},
                                                  {Tok::gt, Op::gt}, {Tok::ge, Op::ge},
                                                  {Tok::eq, Op::eq}, {Tok::ne, Op::ne}};
    Node n = span(Op::eq, prog_.nodes[l].offset, end_of(r));
    for (const auto& [tok, o] : kOps) {
      if (tok == op.kind) n.op = o;
    }
    n.a = l;
    n.b = r;
    n.type = check_comparison(l, r, op, n.op == Op::eq || n.op == Op::ne);
    return add(n);
  }

  Type check_comparison(std::int32_t l, std::int32_t r, const Token& op, bool equality) {
    const Type a = type(l), b = type(r);
    if (a == Type::error || b == Type::error) return Type::error;
    const std::string op_text = std::string(text_.substr(op.offset, op.length));
    if (a == Type::boolean || b == Type::boolean) {
      error(op.offset, op.length,
            "'" + op_text + "' compares values; combine conditions with 'and', 'or' and 'not'");
      return Type::error;
    }
    if (a != b) {
      std::string m = std::string("cannot compare ") + type_name(a) + " with " + type_name(b);
      const bool literal_number = (a == Type::number && prog_.nodes[l].op == Op::literal) ||
                                  (b == Type::number && prog_.nodes[r].op == Op::literal);
      if (literal_number && (a == Type::duration || b == Type::duration)) {
        m += "; give the number a unit, e.g. 15m";
      } else if (literal_number && (a == Type::time || b == Type::time)) {
        m += "; write a time of day as HH:MM, e.g. 05:30";
      }
      error(op.offset, op.length, m);
      return Type::error;
    }
    if (a == Type::weekday && !equality) {
      error(op.offset, op.length, "weekdays can only be compared with '==', '!=' or 'in'");
      return Type::error;
    }
    return Type::boolean;
  }

  std::int32_t parse_in(std::int32_t l) {
    next();  // in
    if (peek().kind != Tok::lbracket) {
      syntax(peek(), "expected '[' after 'in', e.g. weekday() in [mon, wed, fri]");
      return -1;
    }
    next();  // [
    std::vector<std::int32_t> items;
    Type t = type(l);
    if (t == Type::boolean) {
      node_error(l, "'in' compares values; combine conditions with 'and', 'or' and 'not'");
      t = Type::error;
    }
    while (true) {
      const std::int32_t x = parse_sum();
      if (failed_) return -1;
      items.push_back(x);
      if (t != Type::error && type(x) != Type::error && type(x) != type(l)) {
        node_error(
            x, std::string("cannot compare ") + type_name(type(l)) + " with " + type_name(type(x)));
        t = Type::error;
      }
      if (type(x) == Type::error) t = Type::error;
      if (peek().kind == Tok::comma) {
        next();
        continue;
      }
      if (peek().kind == Tok::rbracket) break;
      syntax(peek(), "expected ',' or ']' in the list but found " + shown(peek()));
      return -1;
    }
    const Token close = next();
    Node n = span(Op::in, prog_.nodes[l].offset, close.offset + 1);
    n.a = l;
    n.list_begin = static_cast<std::uint32_t>(prog_.lists.size());
    prog_.lists.insert(prog_.lists.end(), items.begin(), items.end());
    n.list_end = static_cast<std::uint32_t>(prog_.lists.size());
    n.type = t == Type::error ? Type::error : Type::boolean;
    return add(n);
  }

  std::int32_t parse_sum() {
    std::int32_t l = parse_product();
    while (!failed_ && (peek().kind == Tok::plus || peek().kind == Tok::minus)) {
      const Token op = next();
      const std::int32_t r = parse_product();
      if (failed_) return -1;
      l = arithmetic(op.kind == Tok::plus ? Op::add : Op::sub, l, r, op);
    }
    return failed_ ? -1 : l;
  }

  std::int32_t parse_product() {
    std::int32_t l = parse_unary();
    while (!failed_ && (peek().kind == Tok::star || peek().kind == Tok::slash)) {
      const Token op = next();
      const std::int32_t r = parse_unary();
      if (failed_) return -1;
      l = arithmetic(op.kind == Tok::star ? Op::mul : Op::div, l, r, op);
    }
    return failed_ ? -1 : l;
  }

  std::int32_t arithmetic(Op op, std::int32_t l, std::int32_t r, const Token& at) {
    Node n = span(op, prog_.nodes[l].offset, end_of(r));
    n.a = l;
    n.b = r;
    const Type a = type(l), b = type(r);
    n.type = Type::error;
    if (a == Type::error || b == Type::error) return add(n);
    using T = Type;
    const auto is = [&](T x, T y) { return a == x && b == y; };
    std::string verb;
    switch (op) {
      case Op::add:
        if (is(T::number, T::number)) n.type = T::number;
        if (is(T::duration, T::duration)) n.type = T::duration;
        if (is(T::time, T::duration) || is(T::duration, T::time)) n.type = T::time;
        verb = std::string("cannot add ") + type_name(a) + " and " + type_name(b);
        break;
      case Op::sub:
        if (is(T::number, T::number)) n.type = T::number;
        if (is(T::duration, T::duration)) n.type = T::duration;
        if (is(T::time, T::duration)) n.type = T::time;
        verb = std::string("cannot subtract ") + type_name(b) + " from " + type_name(a);
        break;
      case Op::mul:
        if (is(T::number, T::number)) n.type = T::number;
        if (is(T::duration, T::number) || is(T::number, T::duration)) n.type = T::duration;
        verb = std::string("cannot multiply ") + type_name(a) + " by " + type_name(b);
        break;
      default:
        if (is(T::number, T::number) || is(T::duration, T::duration)) n.type = T::number;
        if (is(T::duration, T::number)) n.type = T::duration;
        verb = std::string("cannot divide ") + type_name(a) + " by " + type_name(b);
        break;
    }
    if (n.type == T::error) {
      if ((a == T::number) != (b == T::number) && (a == T::duration || b == T::duration) &&
          (op == Op::add || op == Op::sub)) {
        verb += "; give the number a unit, e.g. 5m";
      }
      error(at.offset, at.length, verb);
    }
    return add(n);
  }

  std::int32_t parse_unary() {
    Depth d(*this);
    if (too_deep()) return -1;
    if (peek().kind != Tok::minus) return parse_primary();
    const Token t = next();
    const std::int32_t x = parse_unary();
    if (failed_) return -1;
    Node n = span(Op::neg, t.offset, end_of(x));
    n.a = x;
    n.type = type(x);
    if (n.type != Type::number && n.type != Type::duration && n.type != Type::error) {
      node_error(x, std::string("cannot negate ") + type_name(type(x)));
      n.type = Type::error;
    }
    return add(n);
  }

  std::int32_t literal(const Token& t, Type type, double value) {
    Node n = span(Op::literal, t.offset, t.offset + t.length);
    n.type = type;
    n.value = value;
    return add(n);
  }

  std::int32_t parse_primary() {
    const Token t = peek();
    switch (t.kind) {
      case Tok::number:
        next();
        return literal(t, Type::number, t.value);
      case Tok::duration:
        next();
        return literal(t, Type::duration, t.value);
      case Tok::time:
        next();
        return literal(t, Type::time, t.value);
      case Tok::lparen: {
        next();
        const std::int32_t x = parse_or();
        if (failed_) return -1;
        if (peek().kind != Tok::rparen) {
          syntax(peek(), "expected ')' to close the '(' at column " +
                             std::to_string(1 + chars(0, t.offset)) + " but found " +
                             shown(peek()));
          return -1;
        }
        const Token close = next();
        // The span grows to cover the parentheses, so messages point at what was written.
        prog_.nodes[x].offset = t.offset;
        prog_.nodes[x].length = close.offset + 1 - t.offset;
        return x;
      }
      case Tok::name:
        break;
      default:
        syntax(t, "expected a value (a number, a metric, a function call or '(') but found " +
                      shown(t));
        return -1;
    }
    const std::string_view word = text_.substr(t.offset, t.length);
    if (word == "and" || word == "or" || word == "in" || word == "not") {
      syntax(t, "expected a value but found '" + std::string(word) + "'");
      return -1;
    }
    next();
    if (peek().kind == Tok::lparen) return parse_call(t);
    if (word == "true" || word == "false") return literal(t, Type::boolean, word == "true");
    if (const int wd = weekday_of(word); wd >= 0) return literal(t, Type::weekday, wd);
    return metric(t);
  }

  std::int32_t metric(const Token& t) {
    const std::string_view word = text_.substr(t.offset, t.length);
    Node n = span(Op::latest, t.offset, t.offset + t.length);
    auto r = resolver_.resolve(word);
    if (!r.ok) {
      error(t.offset, t.length, r.error);
      n.type = Type::error;
      return add(n);
    }
    n.type = Type::number;
    n.ref = static_cast<std::uint32_t>(refs_.size());
    refs_.push_back({std::string(word), r.zone_level, std::move(r.series)});
    return add(n);
  }

  std::int32_t parse_call(const Token& name) {
    const std::string_view word = text_.substr(name.offset, name.length);
    next();  // (
    std::vector<std::int32_t> args;
    if (peek().kind != Tok::rparen) {
      while (true) {
        const std::int32_t x = parse_or();
        if (failed_) return -1;
        args.push_back(x);
        if (peek().kind == Tok::comma) {
          next();
          continue;
        }
        if (peek().kind == Tok::rparen) break;
        syntax(peek(), "expected ',' or ')' in the arguments of " + std::string(word) +
                           "() but found " + shown(peek()));
        return -1;
      }
    }
    const Token close = next();
    Node n = span(Op::literal, name.offset, close.offset + 1);
    n.type = Type::error;
    const Function* f = nullptr;
    for (const auto& x : kFunctions) {
      if (x.name == word) f = &x;
    }
    if (!f) {
      std::string m =
          "unknown function '" + std::string(word) + "' (functions: " + function_list() + ")";
      error(name.offset, name.length, m);
      return add(n);
    }
    n.op = f->op;
    check_call(n, word, args);
    return add(n);
  }

  void check_call(Node& n, std::string_view fname, const std::vector<std::int32_t>& args) {
    const std::string f(fname);
    const auto bad = [&](std::string m) {
      error(n.offset, n.length, std::move(m));
      n.type = Type::error;
    };
    for (const auto a : args) {
      if (type(a) == Type::error) return;  // already reported
    }
    switch (n.op) {
      case Op::avg:
      case Op::min:
      case Op::max:
      case Op::delta: {
        const std::string eg = ", e.g. " + f + "(z1.soil.moisture, 30m)";
        if (args.size() != 2) return bad(f + "() takes a metric and a duration" + eg);
        if (prog_.nodes[args[0]].op != Op::latest) {
          node_error(args[0], f + "() needs a metric as its first argument" + eg);
          return;
        }
        const Node& w = prog_.nodes[args[1]];
        if (w.type != Type::duration) {
          node_error(args[1], f + "() needs a duration as its second argument" + eg);
          return;
        }
        if (w.op != Op::literal) {
          node_error(args[1], f + "() needs a fixed duration as its second argument" + eg);
          return;
        }
        if (!(w.value >= 1000) || w.value > kMaxWindowMs) {
          node_error(args[1], f + "() needs a window from 1s to 366d" + eg);
          return;
        }
        n.ref = prog_.nodes[args[0]].ref;
        n.value = w.value;
        n.type = Type::number;
        prog_.longest_window = std::max(prog_.longest_window, Millis{std::llround(w.value)});
        return;
      }
      case Op::age:
        if (args.size() != 1 || prog_.nodes[args[0]].op != Op::latest) {
          return bad("age() takes one metric, e.g. age(z1.soil.moisture)");
        }
        n.ref = prog_.nodes[args[0]].ref;
        n.type = Type::duration;
        return;
      case Op::between: {
        const std::string eg =
            "between() takes three times of day, e.g. between(time(), 22:00, "
            "05:00)";
        if (args.size() != 3) return bad(eg);
        for (const auto a : args) {
          if (type(a) != Type::time) {
            node_error(a, eg + ", but this is " + type_name(type(a)));
            return;
          }
        }
        n.a = args[0];
        n.b = args[1];
        n.c = args[2];
        n.type = Type::boolean;
        return;
      }
      default:
        if (!args.empty()) return bad(f + "() takes no arguments: write " + f + "()");
        n.type = n.op == Op::weekday_now ? Type::weekday : Type::time;
        return;
    }
  }

  // Dependencies sorted and unique; refs point into them.
  void finish() {
    for (const auto& r : refs_) {
      prog_.dependencies.insert(prog_.dependencies.end(), r.series.begin(), r.series.end());
    }
    auto& deps = prog_.dependencies;
    std::sort(deps.begin(), deps.end());
    deps.erase(std::unique(deps.begin(), deps.end()), deps.end());
    for (auto& r : refs_) {
      Ref out{r.text, r.zone_level, {}};
      for (const auto& s : r.series) {
        const auto it = std::lower_bound(deps.begin(), deps.end(), s);
        out.deps.push_back(static_cast<std::uint32_t>(it - deps.begin()));
      }
      prog_.refs.push_back(std::move(out));
    }
    prog_.text = std::string(text_);
  }

  struct PendingRef {
    std::string text;
    bool zone_level;
    std::vector<SeriesKey> series;
  };

  std::string_view text_;
  Resolver resolver_;
  std::vector<Token> toks_;
  std::size_t pos_ = 0;
  int depth_ = 0;
  bool failed_ = false;
  std::vector<RawError> errors_;
  std::vector<PendingRef> refs_;
  Program prog_;
};

CompileResult compile(std::string_view text, const Catalogue& catalogue) {
  return ExpressionCompiler(text, catalogue).run();
}

}  // namespace farmgate::rules
