#include "config/env_expand.h"

#include <optional>

namespace farmgate::config {
namespace {

bool is_name_char(char c) {
  return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_';
}

// A recursive-descent scanner: a default is expanded by the same loop as the whole text, ending
// at the '}' that closes its reference instead of at the end of the input.
class Expander {
 public:
  Expander(std::string_view in, const EnvLookup& env) : in_(in), env_(env) {}

  Expansion run() {
    Expansion result;
    result.text = expand(/*in_default=*/false);
    result.errors = std::move(errors_);
    return result;
  }

 private:
  std::string expand(bool in_default) {
    std::string out;
    while (pos_ < in_.size() && !failed_) {
      const std::string_view rest = in_.substr(pos_);
      if (in_default && rest.front() == '}') return out;
      if (rest.starts_with("$${")) {
        out += "${";
        pos_ += 3;
      } else if (rest.starts_with("${")) {
        pos_ += 2;
        out += reference();
      } else {
        out += rest.front();
        ++pos_;
      }
    }
    if (in_default && !failed_) fail("unterminated '${' (missing '}')");
    return out;
  }

  // After "${": NAME, then '}' or ":-default}".
  std::string reference() {
    const std::size_t start = pos_;
    while (pos_ < in_.size() && is_name_char(in_[pos_])) ++pos_;
    const std::string name(in_.substr(start, pos_ - start));
    if (pos_ >= in_.size()) {
      fail("unterminated '${' (missing '}')");
      return {};
    }
    if (name.empty() || (name.front() >= '0' && name.front() <= '9')) {
      fail(
          "bad variable reference: expected ${NAME} or ${NAME:-default}, where NAME is letters, "
          "digits and '_' and does not start with a digit");
      return {};
    }
    const std::optional<std::string> value = lookup(name);
    if (in_[pos_] == '}') {
      ++pos_;
      if (!value) errors_.push_back("environment variable " + name + " is not set");
      return value.value_or("");
    }
    if (in_.substr(pos_).starts_with(":-")) {
      pos_ += 2;
      // Parsed even when unused so that its syntax is always checked; its unset variables only
      // count when it is used, as in the shell.
      const std::size_t errors_before = errors_.size();
      std::string fallback = expand(/*in_default=*/true);
      if (failed_) return {};
      ++pos_;  // the closing '}'
      if (value && !value->empty()) {
        errors_.resize(errors_before);
        return *value;
      }
      return fallback;
    }
    fail("bad variable reference '${" + name + in_[pos_] +
         "...': expected ${NAME} or ${NAME:-default}");
    return {};
  }

  std::optional<std::string> lookup(const std::string& name) const {
    if (!env_) return std::nullopt;
    return env_(name);
  }

  // A syntax error makes the rest meaningless, so it replaces whatever was found so far.
  void fail(std::string message) {
    failed_ = true;
    errors_.assign(1, std::move(message));
  }

  std::string_view in_;
  const EnvLookup& env_;
  std::size_t pos_ = 0;
  bool failed_ = false;
  std::vector<std::string> errors_;
};

}  // namespace

Expansion expand_env(std::string_view text, const EnvLookup& env) {
  if (text.find('$') == std::string_view::npos) return Expansion{std::string(text), {}};
  return Expander(text, env).run();
}

}  // namespace farmgate::config
