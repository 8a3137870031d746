#include "config/loader.h"

#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <system_error>
#include <tuple>

#include "config/node_reader.h"
#include "config/schema.h"

namespace farmgate::config {
namespace {

// A configuration is a few kilobytes; anything this big is the wrong file (or /dev/zero).
constexpr std::size_t kMaxFileBytes = 16 * 1024 * 1024;

std::vector<ConfigError> one_error(std::string file, int line, int column, std::string message) {
  return {ConfigError{std::move(file), line, column, std::move(message)}};
}

std::string errno_text(int err) {
  return std::error_code(err, std::generic_category()).message();
}

// In file order, as an editor lists them; one copy of each (an aliased node is read once per use).
std::vector<ConfigError> tidy(std::vector<ConfigError> errors) {
  std::stable_sort(errors.begin(), errors.end(), [](const ConfigError& a, const ConfigError& b) {
    return std::tie(a.line, a.column) < std::tie(b.line, b.column);
  });
  std::vector<ConfigError> out;
  for (auto& e : errors) {
    const bool dup = std::any_of(out.begin(), out.end(), [&](const ConfigError& o) {
      return o.line == e.line && o.column == e.column && o.message == e.message;
    });
    if (!dup) out.push_back(std::move(e));
  }
  return out;
}

}  // namespace

std::string ConfigError::to_string() const {
  if (line <= 0) return file + ": " + message;
  return file + ":" + std::to_string(line) + ":" + std::to_string(column) + ": " + message;
}

EnvLookup process_env() {
  // getenv is safe as long as nobody calls setenv meanwhile, which farmgate never does.
  return [](std::string_view name) -> std::optional<std::string> {
    const char* value = std::getenv(std::string(name).c_str());
    if (value == nullptr) return std::nullopt;
    return std::string(value);
  };
}

LoadResult load_config_text(const std::string& text, const std::string& name,
                            const EnvLookup& env) {
  std::vector<YAML::Node> docs;
  try {
    docs = YAML::LoadAll(text);
  } catch (const YAML::Exception& e) {
    if (e.mark.is_null()) return one_error(name, 0, 0, "invalid YAML: " + e.msg);
    return one_error(name, e.mark.line + 1, e.mark.column + 1, "invalid YAML: " + e.msg);
  }
  if (docs.empty() || docs.front().IsNull()) {
    return one_error(name, 1, 1, "the configuration is empty; expected key: value lines");
  }
  detail::NodeReader reader(name, env);
  if (docs.size() > 1) {
    reader.error(detail::location_of(docs[1]),
                 "a second YAML document ('---') is not allowed; one file holds one configuration");
  }
  Config config;
  try {
    config = detail::read_config(reader, docs.front());
  } catch (const YAML::Exception& e) {
    // The reader only walks nodes that exist, so this is a bug; still a located error, not a crash.
    reader.error(e.mark.is_null() ? detail::Location{}
                                  : detail::Location{e.mark.line + 1, e.mark.column + 1},
                 "internal error while reading the configuration: " + e.msg);
  }
  if (reader.has_errors()) return tidy(reader.take_errors());
  config.source_file = name;
  return config;
}

LoadResult load_config(const std::string& path, const EnvLookup& env) {
  const std::unique_ptr<std::FILE, int (*)(std::FILE*)> file(std::fopen(path.c_str(), "rb"),
                                                             &std::fclose);
  if (!file) return one_error(path, 0, 0, "cannot open: " + errno_text(errno));
  std::string text;
  char buf[64 * 1024];
  while (true) {
    const std::size_t n = std::fread(buf, 1, sizeof buf, file.get());
    text.append(buf, n);
    if (text.size() > kMaxFileBytes) {
      return one_error(path, 0, 0, "larger than 16 MiB; not a configuration file");
    }
    if (n < sizeof buf) break;
  }
  if (std::ferror(file.get())) return one_error(path, 0, 0, "cannot read: " + errno_text(errno));
  return load_config_text(text, path, env);
}

}  // namespace farmgate::config
