// Logger: where components say what happened. Injected, never global. Log an error once, where it
// is handled. Implementations are thread-safe.
#pragma once

#include <mutex>
#include <string>
#include <string_view>
#include <vector>

namespace farmgate {

enum class LogLevel { debug = 7, info = 6, warning = 4, error = 3 };

class Logger {
 public:
  virtual ~Logger() = default;
  virtual void log(LogLevel level, std::string_view component, std::string_view message) = 0;

  void debug(std::string_view c, std::string_view m) { log(LogLevel::debug, c, m); }
  void info(std::string_view c, std::string_view m) { log(LogLevel::info, c, m); }
  void warn(std::string_view c, std::string_view m) { log(LogLevel::warning, c, m); }
  void error(std::string_view c, std::string_view m) { log(LogLevel::error, c, m); }
};

// Writes "<N>component: message" lines to stderr: journald reads <N> as the syslog priority.
class StderrLogger final : public Logger {
 public:
  explicit StderrLogger(LogLevel min = LogLevel::info) : min_(min) {}
  void log(LogLevel level, std::string_view component, std::string_view message) override;

 private:
  LogLevel min_;
  std::mutex mu_;
};

// Keeps every line, for tests.
class MemoryLogger final : public Logger {
 public:
  void log(LogLevel level, std::string_view component, std::string_view message) override;
  std::vector<std::string> lines() const;

 private:
  mutable std::mutex mu_;
  std::vector<std::string> lines_;
};

}  // namespace farmgate
