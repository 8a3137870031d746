#include "rules/check.h"

#include <set>
#include <string>
#include <tuple>

#include "rules/et_runtime.h"
#include "rules/expr.h"
#include "rules/expr_lexer.h"
#include "rules/scheduler.h"
#include "rules/site_time.h"

namespace farmgate::rules {
namespace {

// Characters (UTF-8 code points) before byte `offset`, plus 1: a Diagnostic-style column.
int column_of(const std::string& text, std::size_t offset) {
  int column = 1;
  for (std::size_t i = 0; i < offset && i < text.size(); ++i) {
    if ((static_cast<unsigned char>(text[i]) & 0xC0) != 0x80) ++column;  // not a continuation
  }
  return column;
}

class Checker {
 public:
  explicit Checker(const config::Config& c) : c_(c), catalogue_(Catalogue::from_config(c)) {}

  void expression(const std::string& rule, const config::SourceText& src) {
    check_expression("rule '" + rule + "'", src);
  }

  // `owner` names where the expression is in messages: "rule 'dry'", "program 'morning'".
  void check_expression(const std::string& owner, const config::SourceText& src) {
    // A hysteresis: block gives its `until` to every irrigate action: report it once.
    if (!seen_.insert({src.text, src.line, src.column}).second) return;
    const CompileResult r = compile(src.text, catalogue_);
    for (const Diagnostic& d : r.errors()) add(owner, src, d.column, d.message);
    if (!c_.location.set) {
      const auto tokens = expr_detail::lex(src.text);
      for (std::size_t i = 0; i + 1 < tokens.size(); ++i) {
        const auto& t = tokens[i];
        if (t.kind != expr_detail::Tok::name || tokens[i + 1].kind != expr_detail::Tok::lparen) {
          continue;
        }
        const std::string name = src.text.substr(t.offset, t.length);
        if (name == "sunrise" || name == "sunset") {
          add(owner, src, column_of(src.text, t.offset),
              name + "() needs the site's position: add location: {latitude: ..., longitude: ...}");
        }
      }
    }
  }

  void timezone() {
    auto tz = SiteTime::load(c_.timezone);
    if (!tz) {
      errors_.push_back(
          {c_.source_file, 0, 0, "timezone '" + c_.timezone + "': " + tz.error().message});
    }
  }

  // A program's starts: each cron line parses; sunrise/sunset starts have a location.
  void starts(const config::Program& p) {
    const std::string owner = "program '" + p.name + "'";
    for (const config::ProgramStart& s : p.starts) {
      auto made = StartTimes::make(s, c_.location);
      if (made) continue;
      const config::SourceText at = s.kind == config::ProgramStart::Kind::cron
                                        ? s.cron
                                        : config::SourceText{"", s.line, s.column};
      add(owner, at, 1, made.error().message);
    }
  }

  std::vector<config::ConfigError> take() { return std::move(errors_); }

 private:
  void add(const std::string& owner, const config::SourceText& src, int column,
           const std::string& message) {
    config::ConfigError e;
    e.file = c_.source_file;
    e.line = src.line;
    e.column = src.line == 0 ? 0 : src.column + column - 1;
    e.message = owner + ": " + message;
    errors_.push_back(std::move(e));
  }

  const config::Config& c_;
  Catalogue catalogue_;
  std::set<std::tuple<std::string, int, int>> seen_;
  std::vector<config::ConfigError> errors_;
};

}  // namespace

std::vector<config::ConfigError> check_rules(const config::Config& c) {
  Checker check(c);
  check.timezone();
  for (const config::Rule& rule : c.rules) {
    check.expression(rule.name, rule.when);
    for (const config::RuleAction& a : rule.then) {
      if (a.kind == config::RuleAction::Kind::irrigate && !a.until.text.empty()) {
        check.expression(rule.name, a.until);
      }
    }
  }
  for (const config::Program& p : c.programs) {
    const std::string owner = "program '" + p.name + "'";
    if (!p.skip_if.text.empty()) check.check_expression(owner, p.skip_if);
    for (const config::ProgramZone& z : p.zones) {
      if (!z.skip_if.text.empty()) check.check_expression(owner, z.skip_if);
    }
    check.starts(p);
  }
  if (!c.rain_delay.when.text.empty()) check.check_expression("rain_delay", c.rain_delay.when);
  std::vector<config::ConfigError> errors = check.take();
  // The zones' crops: config/ cannot see the crop table.
  for (auto& e : check_et(c)) errors.push_back(std::move(e));
  return errors;
}

}  // namespace farmgate::rules
