// The `modbus` source reader and the built-in register profiles (docs/sensors/modbus.md).
#include <cmath>
#include <cstdio>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "config/source_schema.h"

namespace farmgate::config {

const char* to_string(ModbusTable t) {
  return t == ModbusTable::holding ? "holding" : "input";
}

const char* to_string(ModbusType t) {
  switch (t) {
    case ModbusType::int16:
      return "int16";
    case ModbusType::uint16:
      return "uint16";
    case ModbusType::int32:
      return "int32";
    case ModbusType::uint32:
      return "uint32";
    case ModbusType::float32:
      return "float32";
  }
  return "?";
}

const char* to_string(WordOrder o) {
  return o == WordOrder::big ? "big" : "little";
}

namespace {

ModbusRegister holding(std::string metric, unsigned address, ModbusType type, double scale,
                       std::string unit) {
  ModbusRegister r;
  r.metric = std::move(metric);
  r.address = address;
  r.type = type;
  r.scale = scale;
  r.unit = std::move(unit);
  return r;
}

// The metric names and units follow the reference farm's soil kind (moisture in %, temp_c in °C,
// ec in mS/cm), so a profile fits it without overrides. The probes give EC in µS/cm: 0.001.
std::vector<ModbusProfile> make_profiles() {
  using T = ModbusType;
  // The layout many unbranded probes share (sold as RS-ECTH-N01, ComWinTop THC-S, "3-in-1"):
  // one block from 0x0000.
  std::vector<ModbusRegister> soil3{
      holding("moisture", 0x0000, T::uint16, 0.1, "%"),
      holding("temp_c", 0x0001, T::int16, 0.1, "°C"),
      holding("ec", 0x0002, T::uint16, 0.001, "mS/cm"),
  };
  std::vector<ModbusRegister> soil7 = soil3;
  soil7.push_back(holding("ph", 0x0003, T::uint16, 0.1, "pH"));
  soil7.push_back(holding("nitrogen", 0x0004, T::uint16, 1, "mg/kg"));
  soil7.push_back(holding("phosphorus", 0x0005, T::uint16, 1, "mg/kg"));
  soil7.push_back(holding("potassium", 0x0006, T::uint16, 1, "mg/kg"));
  // JXCT's JXBS-3001 family scatters the same quantities over 0x0006..0x0020.
  std::vector<ModbusRegister> jxct3{
      holding("moisture", 0x0012, T::uint16, 0.1, "%"),
      holding("temp_c", 0x0013, T::int16, 0.1, "°C"),
      holding("ec", 0x0015, T::uint16, 0.001, "mS/cm"),
  };
  std::vector<ModbusRegister> jxct7 = jxct3;
  jxct7.insert(jxct7.begin(), holding("ph", 0x0006, T::uint16, 0.01, "pH"));
  jxct7.push_back(holding("nitrogen", 0x001E, T::uint16, 1, "mg/kg"));
  jxct7.push_back(holding("phosphorus", 0x001F, T::uint16, 1, "mg/kg"));
  jxct7.push_back(holding("potassium", 0x0020, T::uint16, 1, "mg/kg"));
  return {
      {"soil-3in1", "moisture, temperature, EC in holding registers 0x0000-0x0002", soil3},
      {"soil-7in1", "soil-3in1 plus pH, N, P, K in holding registers 0x0003-0x0006", soil7},
      {"jxct-3in1", "JXBS-3001 style: moisture 0x0012, temperature 0x0013, EC 0x0015", jxct3},
      {"jxct-7in1", "jxct-3in1 plus pH 0x0006 and N, P, K 0x001E-0x0020", jxct7},
  };
}

}  // namespace

const std::vector<ModbusProfile>& modbus_profiles() {
  static const std::vector<ModbusProfile> profiles = make_profiles();
  return profiles;
}

const ModbusProfile* find_modbus_profile(std::string_view name) {
  for (const auto& p : modbus_profiles()) {
    if (p.name == name) return &p;
  }
  return nullptr;
}

}  // namespace farmgate::config

namespace farmgate::config::detail {
namespace {

std::string profile_names() {
  std::string out;
  for (const auto& p : modbus_profiles()) out += (out.empty() ? "" : ", ") + p.name;
  return out;
}

// A whole number in [min, max] into an int member.
template <class T>
Field<T> int_field(std::string_view key, int T::*member, std::size_t min, std::size_t max,
                   Need need = Need::optional) {
  return {key,
          [key, member, min, max](NodeReader& r, const Value& v, T& out) {
            auto n = r.count(v);
            if (!n) return;
            if (*n < min || *n > max) {
              return r.error(v.at, std::string(key) + " " + range_message(*n, min, max));
            }
            out.*member = static_cast<int>(*n);
          },
          need == Need::required};
}

// "18", or "0x12" as vendor register tables write them.
std::optional<unsigned> parse_address(std::string_view s) {
  int base = 10;
  if (s.size() > 2 && s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) {
    s.remove_prefix(2);
    base = 16;
  }
  if (s.empty() || s.size() > 5) return std::nullopt;
  unsigned value = 0;
  for (char c : s) {
    int digit = -1;
    if (c >= '0' && c <= '9') digit = c - '0';
    if (base == 16 && c >= 'a' && c <= 'f') digit = c - 'a' + 10;
    if (base == 16 && c >= 'A' && c <= 'F') digit = c - 'A' + 10;
    if (digit < 0 || digit >= base) return std::nullopt;
    value = value * base + static_cast<unsigned>(digit);
  }
  if (value > 65535) return std::nullopt;
  return value;
}

// What the deferred checks need to know about one register: its metric and unit, and where to
// point when they do not fit the device's kind (the register, or the profile it came from).
struct RegisterRef {
  std::string metric;
  std::string unit;
  Location at;
  std::string from;  // "" or " (from profile 'soil-7in1')"
};

struct RegisterDraft {
  ModbusRegister reg;
  Location at;         // the register's mapping
  Location metric_at;  // its metric
};

std::optional<RegisterDraft> read_register(NodeReader& r, const Value& v,
                                           const std::string& where) {
  using R = ModbusRegister;
  const std::vector<Field<R>> fields{
      text_field("metric", &R::metric, Need::required, check_id),
      {"table",
       [](NodeReader& r, const Value& v, R& out) {
         auto s = r.text(v);
         if (!s) return;
         if (*s == "holding") {
           out.table = ModbusTable::holding;
         } else if (*s == "input") {
           out.table = ModbusTable::input;
         } else {
           r.error(v.at, "unknown register table " + quoted(*s) + "; expected holding or input");
         }
       }},
      {"address",
       [](NodeReader& r, const Value& v, R& out) {
         auto s = r.text(v);
         if (!s) return;
         auto a = parse_address(*s);
         if (!a) {
           return r.error(v.at, "address " + quoted(*s) +
                                    " is not a register address 0..65535 (decimal or 0x hex)");
         }
         out.address = *a;
       },
       /*required=*/true},
      {"type",
       [](NodeReader& r, const Value& v, R& out) {
         auto s = r.text(v);
         if (!s) return;
         for (auto t : {ModbusType::int16, ModbusType::uint16, ModbusType::int32,
                        ModbusType::uint32, ModbusType::float32}) {
           if (*s == to_string(t)) {
             out.type = t;
             return;
           }
         }
         r.error(v.at, "unknown register type " + quoted(*s) +
                           "; expected one of: int16, uint16, int32, uint32, float32");
       }},
      {"word_order",
       [](NodeReader& r, const Value& v, R& out) {
         auto s = r.text(v);
         if (!s) return;
         if (*s == "big") {
           out.word_order = WordOrder::big;
         } else if (*s == "little") {
           out.word_order = WordOrder::little;
         } else {
           r.error(v.at, "unknown word_order " + quoted(*s) +
                             "; expected big (high word first) or little (low word first)");
         }
       }},
      {"scale",
       [](NodeReader& r, const Value& v, R& out) {
         auto x = r.number(v);
         if (!x) return;
         // Zero would turn every reading into the offset: surely a typo.
         if (*x == 0) return r.error(v.at, "scale must not be 0");
         out.scale = *x;
       }},
      number_field("offset", &R::offset),
      text_field("unit", &R::unit),
  };
  RegisterDraft draft;
  auto seen = read_fields(r, v, where, fields, draft.reg);
  if (!seen) return std::nullopt;
  draft.at = v.at;
  draft.metric_at = seen->at("metric");
  if (seen->has("word_order") && draft.reg.words() == 1) {
    r.error(seen->at("word_order"), std::string("word_order is for the 32-bit types; ") +
                                        to_string(draft.reg.type) + " is one register");
  }
  if (seen->has("address") && draft.reg.address + draft.reg.words() - 1 > 65535) {
    r.error(seen->at("address"), std::string("a ") + to_string(draft.reg.type) +
                                     " at 65535 would run past the last register");
  }
  return draft;
}

struct DeviceDraft {
  ModbusDevice device;
  std::vector<RegisterDraft> registers;
  std::vector<std::pair<std::string, Location>> only;  // metrics: [...]
};

// devices[i] of a modbus source; `refs` gets what the deferred checks need.
std::optional<ModbusDevice> read_device(NodeReader& r, const Value& v, const std::string& where,
                                        Seen& seen_out, std::vector<RegisterRef>& refs) {
  using D = DeviceDraft;
  const std::vector<Field<D>> fields{
      {"device",
       [](NodeReader& r, const Value& v, D& d) {
         auto s = r.text(v);
         if (s && r.report(v.at, check_id(*s))) d.device.device = std::move(*s);
       },
       /*required=*/true},
      {"slave",
       [](NodeReader& r, const Value& v, D& d) {
         auto n = r.count(v);
         if (!n) return;
         // The mode (RTU 1..247, TCP 0..255) is known only once the whole source is read.
         if (*n > 255) return r.error(v.at, "slave " + range_message(*n, 0, 255));
         d.device.slave = static_cast<int>(*n);
       },
       /*required=*/true},
      {"profile",
       [](NodeReader& r, const Value& v, D& d) {
         auto s = r.text(v);
         if (!s) return;
         if (!find_modbus_profile(*s)) {
           return r.error(v.at, "unknown profile " + quoted(*s) + "; expected one of: " +
                                    profile_names() + " (or give registers:)");
         }
         d.device.profile = std::move(*s);
       }},
      {"interval",
       [](NodeReader& r, const Value& v, D& d) {
         auto t = r.duration(v);
         if (!t) return;
         if (*t < Millis{100} || *t > Millis{std::chrono::hours{24}}) {
           return r.error(
               v.at, "interval " + range_message(*t, Millis{100}, Millis{std::chrono::hours{24}}));
         }
         d.device.interval = *t;
       }},
      {"registers",
       [where](NodeReader& r, const Value& v, D& d) {
         auto items = r.items(v, where + ".registers");
         if (!items) return;
         for (std::size_t i = 0; i < items->size(); ++i) {
           auto reg =
               read_register(r, (*items)[i], where + ".registers[" + std::to_string(i) + "]");
           if (reg) d.registers.push_back(std::move(*reg));
         }
       }},
      {"metrics",
       [where](NodeReader& r, const Value& v, D& d) {
         auto items = r.items(v, where + ".metrics");
         if (!items) return;
         for (const Value& item : *items) {
           if (auto s = r.text(item)) d.only.emplace_back(std::move(*s), item.at);
         }
       }},
  };
  DeviceDraft draft;
  auto seen = read_fields(r, v, where, fields, draft);
  if (!seen) return std::nullopt;
  seen_out = *seen;

  // The profile first, then registers: that replace a profile's metric or add to it.
  std::vector<RegisterRef> mine;
  std::vector<ModbusRegister> regs;
  if (const ModbusProfile* p = find_modbus_profile(draft.device.profile)) {
    for (const auto& reg : p->registers) {
      regs.push_back(reg);
      mine.push_back(
          {reg.metric, reg.unit, seen->at("profile"), " (from profile " + quoted(p->name) + ")"});
    }
  }
  const std::size_t from_profile = regs.size();
  for (std::size_t i = 0; i < draft.registers.size(); ++i) {
    const RegisterDraft& d = draft.registers[i];
    bool replaced = false;
    for (std::size_t j = 0; j < regs.size(); ++j) {
      if (regs[j].metric != d.reg.metric) continue;
      if (j >= from_profile) {
        r.error(d.metric_at, "metric " + quoted(d.reg.metric) + " is read twice " +
                                 in_where(where + ".registers"));
      }
      regs[j] = d.reg;
      mine[j] = {d.reg.metric, d.reg.unit, d.metric_at, ""};
      replaced = true;
      break;
    }
    if (!replaced) {
      regs.push_back(d.reg);
      mine.push_back({d.reg.metric, d.reg.unit, d.metric_at, ""});
    }
  }
  if (!seen->has("profile") && !seen->has("registers")) {
    r.error(v.at, "a modbus device needs profile: or registers: " + in_where(where));
  } else if (seen->has("registers") && draft.registers.empty() && !seen->has("profile")) {
    r.error(seen->at("registers"), "registers: is empty " + in_where(where));
  }
  if (seen->has("metrics")) {
    std::vector<ModbusRegister> kept;
    std::vector<RegisterRef> kept_refs;
    for (const auto& [metric, at] : draft.only) {
      bool found = false;
      for (std::size_t j = 0; j < regs.size(); ++j) {
        if (regs[j].metric == metric) {
          found = true;
          kept.push_back(regs[j]);
          kept_refs.push_back(mine[j]);
        }
      }
      if (!found) {
        std::string known;
        for (const auto& reg : regs) known += (known.empty() ? "" : ", ") + reg.metric;
        r.error(at, "metric " + quoted(metric) + " is not in this device's register map (" +
                        (known.empty() ? std::string("empty") : known) + ")");
      }
    }
    if (draft.only.empty()) r.error(seen->at("metrics"), "metrics: is empty " + in_where(where));
    regs = std::move(kept);
    mine = std::move(kept_refs);
  }
  draft.device.registers = std::move(regs);
  refs = std::move(mine);
  return std::move(draft.device);
}

// "tcp://HOST[:PORT]"; IPv6 in brackets.
Result<std::pair<std::string, unsigned short>> parse_tcp_url(std::string_view s) {
  const auto bad = [&](const std::string& why) {
    return make_error("url", "url " + quoted(s) + " " + why + "; expected tcp://HOST[:PORT]");
  };
  constexpr std::string_view scheme = "tcp://";
  if (!s.starts_with(scheme)) return bad("is not a Modbus TCP url");
  std::string_view rest = s.substr(scheme.size());
  if (!rest.empty() && rest.back() == '/') rest.remove_suffix(1);
  std::string host;
  std::string_view port_text;
  if (rest.starts_with('[')) {
    const auto close = rest.find(']');
    if (close == std::string_view::npos) return bad("has an unclosed '['");
    host = std::string(rest.substr(1, close - 1));
    rest.remove_prefix(close + 1);
    if (!rest.empty() && !rest.starts_with(':')) return bad("has junk after the host");
    if (!rest.empty()) port_text = rest.substr(1);
  } else {
    const auto colon = rest.find(':');
    host = std::string(rest.substr(0, colon));
    if (colon != std::string_view::npos) port_text = rest.substr(colon + 1);
  }
  if (host.empty()) return bad("has no host");
  if (host.find_first_of("/?#@ ") != std::string::npos) return bad("has more than a host");
  unsigned long port = 502;
  if (!port_text.empty() || rest.find(':') != std::string_view::npos) {
    if (port_text.empty() || port_text.size() > 5 ||
        port_text.find_first_not_of("0123456789") != std::string_view::npos) {
      return bad("has a bad port");
    }
    port = std::stoul(std::string(port_text));
    if (port == 0 || port > 65535) return bad("has a port outside 1..65535");
  }
  return std::make_pair(host, static_cast<unsigned short>(port));
}

Result<void> serial_port_ok(std::string_view s) {
  if (s.empty() || s.front() != '/') {
    return make_error("port", "port must be an absolute path, e.g. /dev/serial/by-id/usb-...");
  }
  return {};
}

}  // namespace

bool read_modbus_source(NodeReader& r, const Value& item, const std::string& where,
                        ModbusSource& out, DeferredChecks& later) {
  using S = ModbusSource;
  struct DeviceAt {
    Location at;  // the device's mapping
    Location device_at;
    Location slave_at;
    std::vector<RegisterRef> registers;
  };
  std::vector<DeviceAt> device_refs;  // parallel to out.devices
  const std::vector<Field<S>> fields{
      text_field("name", &S::name, Need::required, check_id),
      known_field<S>("type"),
      text_field("port", &S::port, Need::optional, serial_port_ok),
      {"url",
       [](NodeReader& r, const Value& v, S& s) {
         auto text = r.text(v);
         if (!text) return;
         auto url = r.report(v.at, parse_tcp_url(*text));
         if (!url) return;
         s.host = url->first;
         s.tcp_port = url->second;
       }},
      {"baud",
       [](NodeReader& r, const Value& v, S& s) {
         auto n = r.count(v);
         if (!n) return;
         // The rates termios can set; anything else would fail only when the port opens.
         for (std::size_t b : {1200, 2400, 4800, 9600, 19200, 38400, 57600, 115200}) {
           if (*n == b) {
             s.baud = static_cast<int>(b);
             return;
           }
         }
         r.error(v.at, "baud " + std::to_string(*n) +
                           " is not a serial rate; expected one of: 1200, 2400, 4800, 9600, "
                           "19200, 38400, 57600, 115200");
       }},
      {"parity",
       [](NodeReader& r, const Value& v, S& s) {
         auto p = r.text(v);
         if (!p) return;
         if (*p == "none") {
           s.parity = 'N';
         } else if (*p == "even") {
           s.parity = 'E';
         } else if (*p == "odd") {
           s.parity = 'O';
         } else {
           r.error(v.at, "unknown parity " + quoted(*p) + "; expected none, even or odd");
         }
       }},
      int_field("data_bits", &S::data_bits, 7, 8),
      int_field("stop_bits", &S::stop_bits, 1, 2),
      duration_field("timeout", &S::timeout, Millis{10}, Millis{std::chrono::seconds{10}}),
      int_field("retries", &S::retries, 0, 10),
      duration_field("frame_gap", &S::frame_gap, Millis{0}, Millis{std::chrono::seconds{10}}),
      count_field("offline_after", &S::offline_after, 1, 1000),
      {"devices",
       [&device_refs, where](NodeReader& r, const Value& v, S& s) {
         auto items = r.items(v, where + ".devices");
         if (!items) return;
         if (items->empty()) {
           return r.error(v.at, "a modbus source needs at least one device " + in_where(where));
         }
         for (std::size_t i = 0; i < items->size(); ++i) {
           Seen seen((*items)[i].at);
           std::vector<RegisterRef> refs;
           auto device = read_device(r, (*items)[i], where + ".devices[" + std::to_string(i) + "]",
                                     seen, refs);
           if (!device) continue;
           device_refs.push_back(
               {(*items)[i].at, seen.at("device"), seen.at("slave"), std::move(refs)});
           s.devices.push_back(std::move(*device));
         }
       },
       /*required=*/true},
  };
  auto seen = read_fields(r, item, where, fields, out);
  if (!seen) return false;

  const bool has_port = seen->has("port");
  const bool has_url = seen->has("url");
  if (has_port && has_url) {
    r.error(seen->at("url"), "give either port (Modbus RTU) or url (Modbus TCP), not both");
  } else if (!has_port && !has_url) {
    r.error(item.at,
            "a modbus source needs port (a serial device, Modbus RTU) or url "
            "(tcp://HOST[:PORT], Modbus TCP) " +
                in_where(where));
  }
  if (has_url) {
    for (std::string_view key : {"baud", "parity", "data_bits", "stop_bits"}) {
      if (seen->has(key)) {
        r.error(seen->at(key),
                std::string(key) + " is for a serial line (port); this source uses Modbus TCP");
      }
    }
  }
  for (std::size_t i = 0; i < out.devices.size(); ++i) {
    const ModbusDevice& d = out.devices[i];
    const DeviceAt& at = device_refs[i];
    // Slave 0 is the RTU broadcast address (nobody answers) and 248..255 are reserved there.
    if (has_port && (d.slave < 1 || d.slave > 247)) {
      r.error(at.slave_at,
              "slave " + std::to_string(d.slave) + " is not a Modbus RTU address; expected 1..247");
    }
    for (std::size_t j = 0; j < i; ++j) {
      if (out.devices[j].slave == d.slave) {
        r.error(at.slave_at, "slave " + std::to_string(d.slave) + " is already " +
                                 quoted(out.devices[j].device) + " on this bus");
        break;
      }
    }
    for (std::size_t j = 0; j < i; ++j) {
      if (out.devices[j].device == d.device) {
        r.error(at.device_at, "device " + quoted(d.device) + " is already polled on this bus");
        break;
      }
    }
  }

  later.push_back([refs = std::move(device_refs), source = out.name, devices = out.devices,
                   port = out.port,
                   port_at = seen->at("port")](NodeReader& r, const Config& config) {
    // Two owners of one serial line would garble each other's frames.
    for (const auto& a : config.actuators) {
      if (!port.empty() && a.driver.type == DriverType::modbus_coil &&
          a.driver.modbus.device == port) {
        r.error(port_at, "port " + port + " is also the serial line of actuator " + quoted(a.id) +
                             " (modbus_coil); one line can have one owner: put the relay board "
                             "on an adapter of its own");
      }
    }
    for (std::size_t i = 0; i < devices.size(); ++i) {
      const DeviceAt& at = refs[i];
      const Device* device = config.find_device(devices[i].device);
      if (!device) {
        r.error(at.device_at, "unknown device " + quoted(devices[i].device) +
                                  "; a modbus device must be listed under devices:");
        continue;
      }
      // A device on two buses would be polled twice and its series written twice.
      for (const auto& other : config.modbus_sources) {
        if (other.name == source) break;
        for (const auto& d : other.devices) {
          if (d.device == devices[i].device) {
            r.error(at.device_at, "device " + quoted(d.device) + " is already polled by source " +
                                      quoted(other.name));
          }
        }
      }
      const DeviceKind* kind = config.find_kind(device->kind);
      if (!kind) continue;  // reported with the device
      for (const RegisterRef& reg : at.registers) {
        const MetricSpec* spec = kind->find_metric(reg.metric);
        if (!spec) {
          std::string known;
          for (const auto& m : kind->metrics) known += (known.empty() ? "" : ", ") + m.name;
          r.error(reg.at, "metric " + quoted(reg.metric) + reg.from + " is not a metric of kind " +
                              quoted(kind->name) + " (" + known +
                              "); add it to the kind, or pick metrics: [...]");
          continue;
        }
        if (!reg.unit.empty() && !spec->unit.empty() && reg.unit != spec->unit) {
          r.error(reg.at, "metric " + quoted(reg.metric) + reg.from + " is read in " + reg.unit +
                              " but kind " + quoted(kind->name) + " has it in " + spec->unit +
                              "; give a register with the scale and unit that convert it");
        }
      }
    }
  });
  return true;
}

}  // namespace farmgate::config::detail
