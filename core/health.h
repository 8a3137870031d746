// Health: what each component (mqtt, store, uplink/influx, ...) last said about itself, and the
// gateway's overall state derived from it, served as JSON on GET /healthz.
// Thread-safe: components report from whatever thread notices the change (a Paho callback, the
// store thread); readers take a consistent snapshot. Every call takes one short lock.
#pragma once

#include <map>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

namespace farmgate {

class Health {
 public:
  // Ordered by severity, so the overall state is the maximum over components.
  enum class Status { up = 0, degraded = 1, down = 2 };

  struct Component {
    std::string name;
    Status status = Status::up;
    std::string detail;  // one line for a person, e.g. "connected to tcp://127.0.0.1:1883"

    bool operator==(const Component&) const = default;
  };

  // Creates or replaces the component's entry.
  void set(const std::string& name, Status status, std::string detail = {});
  // Forgets a component, e.g. an uplink removed by a reload. Unknown names are ignored.
  void remove(const std::string& name);

  // Every component, sorted by name.
  std::vector<Component> snapshot() const;
  // down if any component is down, else degraded if any is degraded, else up (also with none).
  Status overall() const;

  // {"status":"up","components":{"mqtt":{"status":"up","detail":"..."},...}}, components
  // sorted by name. Always valid JSON: text that is not valid UTF-8 is repaired with U+FFFD.
  std::string to_json() const;

  // The same for a snapshot, so that a caller answers the status code and the body from one
  // consistent view (GET /healthz).
  static Status overall(const std::vector<Component>& components);
  static std::string to_json(const std::vector<Component>& components);

 private:
  struct Entry {
    Status status;
    std::string detail;
  };
  mutable std::mutex mu_;
  std::map<std::string, Entry, std::less<>> components_;
};

const char* to_string(Health::Status s);

// Appends `text` to `out` as a JSON string literal (with the quotes). Exposed for the tests and
// for other hand-written JSON in core.
void append_json_string(std::string& out, std::string_view text);

}  // namespace farmgate
