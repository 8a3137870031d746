#include "gateway/http/json_text.h"

#include <charconv>
#include <cmath>

#include <boost/json/serialize.hpp>

namespace farmgate::http {
namespace {

namespace json = boost::json;

void append(std::string& out, const json::value& v) {
  switch (v.kind()) {
    case json::kind::double_: {
      const double d = v.get_double();
      // JSON has no NaN or infinity; Boost.JSON writes null for them too.
      if (!std::isfinite(d)) {
        out += "null";
        return;
      }
      char buf[32];
      const auto r = std::to_chars(buf, buf + sizeof buf, d);
      std::string_view text(buf, static_cast<std::size_t>(r.ptr - buf));
      out += text;
      // "38" would read back as an integer; keep it a number of the same kind.
      if (text.find_first_of(".e") == std::string_view::npos) out += ".0";
      return;
    }
    case json::kind::array: {
      out += '[';
      bool first = true;
      for (const auto& item : v.get_array()) {
        if (!first) out += ',';
        first = false;
        append(out, item);
      }
      out += ']';
      return;
    }
    case json::kind::object: {
      out += '{';
      bool first = true;
      for (const auto& [key, item] : v.get_object()) {
        if (!first) out += ',';
        first = false;
        out += json::serialize(json::string_view(key));
        out += ':';
        append(out, item);
      }
      out += '}';
      return;
    }
    default:
      out += json::serialize(v);
  }
}

}  // namespace

std::string to_json_text(const json::value& v) {
  std::string out;
  append(out, v);
  return out;
}

}  // namespace farmgate::http
