#include "core/log.h"

#include <cstdio>
#include <string>

namespace farmgate {

void StderrLogger::log(LogLevel level, std::string_view component, std::string_view message) {
  if (static_cast<int>(level) > static_cast<int>(min_)) return;
  std::string line = "<" + std::to_string(static_cast<int>(level)) + ">";
  line.append(component).append(": ").append(message).append("\n");
  std::lock_guard lock(mu_);
  std::fwrite(line.data(), 1, line.size(), stderr);
}

void MemoryLogger::log(LogLevel, std::string_view component, std::string_view message) {
  std::lock_guard lock(mu_);
  lines_.push_back(std::string(component) + ": " + std::string(message));
}

std::vector<std::string> MemoryLogger::lines() const {
  std::lock_guard lock(mu_);
  return lines_;
}

}  // namespace farmgate
