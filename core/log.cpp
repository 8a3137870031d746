#include "core/log.h"

#include <cstdio>
#include <string>

namespace farmgate {

void StderrLogger::log(LogLevel level, std::string_view component, std::string_view message) {
  if (static_cast<int>(level) > static_cast<int>(min_)) return;
  // Built by appends: GCC 12 at -O3 warns falsely (-Wrestrict) on "<" + std::to_string(...).
  std::string line;
  line.reserve(component.size() + message.size() + 8);
  line.append("<").append(std::to_string(static_cast<int>(level))).append(">");
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
