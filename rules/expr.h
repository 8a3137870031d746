// Expression: a rule's condition, e.g. `avg(z1.soil.moisture, 30m) < 32 and age(z1.soil.moisture)
// < 15m`, compiled once against a Catalogue and evaluated many times. The language (grammar,
// types, functions, unknown semantics, error examples) is in docs/rules.md, "Expressions".
//
// compile() is pure and may run on any thread (config check, SIGHUP rebuild). A compiled
// Expression is immutable: evaluate() is const, allocates nothing unless the result is unknown
// (then only the reason text), and may run on any thread as long as the views it is given are
// safe to call there.
#pragma once

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.h"
#include "core/time.h"
#include "rules/expr_catalogue.h"
#include "rules/expr_views.h"

namespace farmgate::rules {

// One problem found by compile(). Columns count characters (UTF-8 code points) from 1 at the
// first character of the expression text, so a caller adds them to the column where the
// expression starts in its YAML file.
struct Diagnostic {
  int column = 1;
  int length = 1;  // characters the problem spans, at least 1 (for a caret line)
  std::string message;

  bool operator==(const Diagnostic&) const = default;
};

// Three-valued: a condition whose inputs are missing is unknown, never quietly false.
struct Evaluation {
  enum class Truth { false_, true_, unknown };
  Truth truth = Truth::unknown;
  // Why the condition is unknown ("no reading of soil-z1.moisture in the last 30m"); empty
  // otherwise.
  std::string reason;

  bool is_true() const { return truth == Truth::true_; }
  bool is_false() const { return truth == Truth::false_; }
  bool is_unknown() const { return truth == Truth::unknown; }
};

namespace expr_detail {
struct Program;
}

class Expression {
 public:
  Expression(Expression&&) noexcept;
  Expression& operator=(Expression&&) noexcept;
  ~Expression();

  // The condition at `now`. Windows end at `now`; age() is measured from `now`.
  Evaluation evaluate(const DataView& data, const TimeView& time, Timestamp now) const;

  // Every series the condition reads, sorted, without repeats: what the runtime subscribes to
  // and watches for health. A zone-level reference contributes each of the zone's devices.
  const std::vector<SeriesKey>& dependencies() const;
  // The longest window any avg/min/max/delta reads (0 if none): how much history to keep.
  Millis longest_window() const;
  // The source text, as given to compile().
  const std::string& text() const;

 private:
  friend class ExpressionCompiler;
  explicit Expression(std::unique_ptr<const expr_detail::Program> program);
  std::unique_ptr<const expr_detail::Program> program_;
};

// Either a compiled Expression or every problem found (as many as could be found in one pass;
// a syntax error stops the parse, name and type errors do not).
class [[nodiscard]] CompileResult {
 public:
  CompileResult(Expression expression) : result_(std::move(expression)) {}  // NOLINT: implicit
  CompileResult(std::vector<Diagnostic> errors)                             // NOLINT: implicit
      : result_(make_error("invalid_expression", "")), errors_(std::move(errors)) {}

  bool ok() const { return result_.ok(); }
  explicit operator bool() const { return ok(); }
  Expression& value() & { return result_.value(); }
  Expression&& value() && { return std::move(result_).value(); }
  const Expression& value() const& { return result_.value(); }
  const Expression* operator->() const { return &value(); }

  // Empty when ok().
  const std::vector<Diagnostic>& errors() const { return errors_; }
  // The errors as one farmgate::Error, "col 5: ...; col 19: ..." (for callers without a YAML
  // position to map columns to).
  Error to_error() const;

 private:
  Result<Expression> result_;
  std::vector<Diagnostic> errors_;
};

// Compiles a condition: it must be true or false (a comparison, `and`/`or`/`not` of them, ...).
CompileResult compile(std::string_view text, const Catalogue& catalogue);

}  // namespace farmgate::rules
