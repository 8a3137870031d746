#include <string>
#include <string_view>

#include "config/endpoint.h"
#include "config/source_schema.h"

namespace farmgate::config {

const char* to_string(CameraAuth a) {
  switch (a) {
    case CameraAuth::none:
      return "none";
    case CameraAuth::basic:
      return "basic";
    case CameraAuth::digest:
      return "digest";
    case CameraAuth::any:
      return "any";
  }
  return "?";
}

namespace detail {
namespace {

constexpr std::string_view kCanopyMetric = "canopy_cover";

// Snapshot URLs often carry a query (Dahua's ?channel=1, Hikvision's ?snapShotImageType=JPEG),
// which the uplink URL form refuses; the part before it must still be a plain http(s) URL.
Result<void> camera_url_ok(std::string_view s) {
  const auto q = s.find('?');
  const std::string_view base = s.substr(0, q);
  auto url = parse_http_url(base);
  if (!url) return url.error();
  if (url->host.empty()) return make_error("bad_url", "the camera URL needs a host");
  for (const char c : s) {
    if (static_cast<unsigned char>(c) <= ' ' || c == 0x7f) {
      return make_error("bad_url", "the camera URL must not contain spaces or control characters");
    }
  }
  if (s.find('#') != std::string_view::npos) {
    return make_error("bad_url", "the camera URL must not have a fragment ('#...')");
  }
  return {};
}

struct CameraRefs {
  Location device_at;
  Location auth_at;
  Location username_at;
};

}  // namespace

bool read_camera_source(NodeReader& r, const Value& item, const std::string& where,
                        CameraSource& out, DeferredChecks& later) {
  constexpr std::size_t kMiB = 1 << 20;
  bool auth_unknown = false;  // then the credential checks below would only add noise
  const std::vector<Field<CameraSource>> fields{
      text_field("name", &CameraSource::name, Need::required, check_id),
      known_field<CameraSource>("type"),
      text_field("device", &CameraSource::device, Need::required, check_id),
      text_field("url", &CameraSource::url, Need::required, camera_url_ok),
      text_field("username", &CameraSource::username),
      text_field("password", &CameraSource::password),
      {"auth",
       [&auth_unknown](NodeReader& r, const Value& v, CameraSource& c) {
         auto s = r.text(v);
         if (!s) {
           auth_unknown = true;
           return;
         }
         if (*s == "none") {
           c.auth = CameraAuth::none;
         } else if (*s == "basic") {
           c.auth = CameraAuth::basic;
         } else if (*s == "digest") {
           c.auth = CameraAuth::digest;
         } else if (*s == "any") {
           c.auth = CameraAuth::any;
         } else {
           auth_unknown = true;
           r.error(v.at,
                   "unknown auth " + quoted(*s) + "; expected one of: none, basic, digest, any");
         }
       }},
      bool_field("tls_verify", &CameraSource::tls_verify),
      // A snapshot more often than every 10 s is video, not what this is for.
      duration_field("interval", &CameraSource::interval, Millis{std::chrono::seconds{10}},
                     Millis{std::chrono::days{7}}),
      duration_field("timeout", &CameraSource::timeout, Millis{std::chrono::seconds{1}},
                     Millis{std::chrono::minutes{5}}),
      bool_field("on_runs", &CameraSource::on_runs),
      bool_field("on_alarms", &CameraSource::on_alarms),
      {"keep_days",
       [](NodeReader& r, const Value& v, CameraSource& c) {
         auto n = r.count(v);
         if (!n) return;
         if (*n < 1 || *n > 3650) {
           return r.error(v.at, "keep_days " + range_message(*n, 1, 3650));
         }
         c.keep = std::chrono::days{static_cast<long>(*n)};
       }},
      {"max_total_mb",
       [kMiB](NodeReader& r, const Value& v, CameraSource& c) {
         auto n = r.count(v);
         if (!n) return;
         if (*n < 1 || *n > 1'000'000) {
           return r.error(v.at, "max_total_mb " + range_message(*n, 1, 1'000'000));
         }
         c.max_total_bytes = *n * kMiB;
       }},
      {"max_snapshot_mb",
       [kMiB](NodeReader& r, const Value& v, CameraSource& c) {
         auto n = r.count(v);
         if (!n) return;
         if (*n < 1 || *n > 100)
           return r.error(v.at, "max_snapshot_mb " + range_message(*n, 1, 100));
         c.max_snapshot_bytes = *n * kMiB;
       }},
      {"exg_threshold",
       [](NodeReader& r, const Value& v, CameraSource& c) {
         auto x = r.number(v);
         if (!x) return;
         // ExG on chromatic coordinates lies in [-1, 2].
         if (!(*x >= -1.0 && *x <= 2.0)) {
           return r.error(v.at, "exg_threshold must be between -1 and 2 (typical 0.05..0.2)");
         }
         c.exg_threshold = *x;
       }},
      count_field("offline_after", &CameraSource::offline_after, 1, 1000),
  };
  auto seen = read_fields(r, item, where, fields, out);
  if (!seen) return false;

  const bool wants_credentials = out.auth != CameraAuth::none;
  if (auth_unknown) {
    // Already reported at auth.
  } else if (wants_credentials && out.username.empty() && seen->has("auth")) {
    r.error(seen->at("auth"), "auth " + std::string(to_string(out.auth)) +
                                  " needs a username (and usually a password) " + in_where(where));
  } else if (!wants_credentials && !out.username.empty()) {
    r.error(seen->at("username"), "username is set but auth is none " + in_where(where) +
                                      "; add auth: digest (most IP cameras), basic or any");
  }

  later.push_back([camera = out.name, device = out.device, at = seen->at("device")](
                      NodeReader& r, const Config& c) {
    if (device.empty()) return;  // reported as missing
    const Device* d = c.find_device(device);
    if (d == nullptr) {
      r.error(at, "camera " + quoted(camera) + ": unknown device " + quoted(device) +
                      "; it must be one of the devices");
      return;
    }
    const DeviceKind* kind = c.find_kind(d->kind);
    if (kind == nullptr) return;  // reported with the device
    const MetricSpec* spec = kind->find_metric(kCanopyMetric);
    if (spec == nullptr) {
      r.error(at, "camera " + quoted(camera) + ": device " + quoted(device) + " is of kind " +
                      quoted(kind->name) + ", which has no metric canopy_cover; add " +
                      "canopy_cover: {unit: \"%\", min: 0, max: 100} to the kind");
      return;
    }
    if (spec->unit != "%") {
      r.error(at, "camera " + quoted(camera) + ": canopy_cover of kind " + quoted(kind->name) +
                      " must have unit \"%\", not " + quoted(spec->unit));
    }
  });
  return true;
}

}  // namespace detail
}  // namespace farmgate::config
