#include "gateway/uplink/influx_writer.h"

#include <curl/curl.h>
#include <zlib.h>

#include <algorithm>
#include <charconv>
#include <climits>
#include <ctime>
#include <string_view>

namespace farmgate::uplink {
namespace {

// The server's error text kept in memory and in messages: enough for InfluxDB's JSON errors.
constexpr std::size_t kMaxResponseBytes = 64 * 1024;
constexpr std::size_t kMaxMessageErrorBytes = 300;

struct EasyCleanup {
  void operator()(CURL* c) const { curl_easy_cleanup(c); }
};
struct SlistFree {
  void operator()(curl_slist* l) const { curl_slist_free_all(l); }
};
struct UrlCleanup {
  void operator()(CURLU* u) const { curl_url_cleanup(u); }
};
struct CurlFree {
  void operator()(char* p) const { curl_free(p); }
};
using CurlString = std::unique_ptr<char, CurlFree>;
using Slist = std::unique_ptr<curl_slist, SlistFree>;

bool append(Slist& list, const std::string& line) {
  curl_slist* head = curl_slist_append(list.get(), line.c_str());
  if (head == nullptr) return false;  // the old list is untouched and still owned
  (void)list.release();
  list.reset(head);
  return true;
}

std::size_t on_body(char* data, std::size_t size, std::size_t count, void* user) {
  auto* out = static_cast<std::string*>(user);
  const std::size_t n = size * count;
  if (out->size() < kMaxResponseBytes)
    out->append(data, std::min(n, kMaxResponseBytes - out->size()));
  return n;
}

// libcurl calls this about once a second even while nothing moves (connecting, waiting for the
// answer), so a cancel ends a request within about a second, whatever its timeout.
int on_progress(void* user, curl_off_t, curl_off_t, curl_off_t, curl_off_t) {
  return static_cast<const std::atomic<bool>*>(user)->load() ? 1 : 0;
}

// The server's error body made fit for a one-line message: control characters and runs of
// spaces collapsed, cut (on a UTF-8 boundary) if long.
std::string one_line(std::string_view text) {
  std::string out;
  for (const char c : text) {
    const bool space = static_cast<unsigned char>(c) < 0x20 || c == ' ';
    if (space) {
      if (!out.empty() && out.back() != ' ') out.push_back(' ');
    } else {
      out.push_back(c);
    }
  }
  while (!out.empty() && out.back() == ' ') out.pop_back();
  if (out.size() > kMaxMessageErrorBytes) {
    std::size_t cut = kMaxMessageErrorBytes;
    while (cut > 0 && (static_cast<unsigned char>(out[cut]) & 0xC0) == 0x80) --cut;
    out.resize(cut);
    out += "…";
  }
  return out;
}

Result<std::string> escape(CURL* curl, const std::string& s) {
  CurlString e(curl_easy_escape(curl, s.data(), static_cast<int>(s.size())));
  if (!e) return make_error("uplink_config", "cannot URL-encode \"" + s + "\"");
  return std::string(e.get());
}

Result<std::string> url_part(CURLU* u, CURLUPart part) {
  char* raw = nullptr;
  const CURLUcode rc = curl_url_get(u, part, &raw, 0);
  CurlString owned(raw);
  if (rc == CURLUE_OK) return std::string(owned.get());
  return make_error("uplink_config", curl_url_strerror(rc));
}

// Delay until an HTTP-date, or of a number of seconds (RFC 9110 section 10.2.3).
std::optional<Millis> parse_retry_after(std::string_view value, Timestamp now) {
  while (!value.empty() && value.front() == ' ') value.remove_prefix(1);
  while (!value.empty() && value.back() == ' ') value.remove_suffix(1);
  if (value.empty()) return std::nullopt;
  if (value.find_first_not_of("0123456789") == std::string_view::npos) {
    std::int64_t seconds = 0;
    const auto r = std::from_chars(value.data(), value.data() + value.size(), seconds);
    // Anything beyond a day is nonsense for a write API; the framework caps it anyway.
    if (r.ec != std::errc() || seconds > 86'400) seconds = 86'400;
    return Millis{seconds * 1000};
  }
  const std::string date(value);
  const time_t when = curl_getdate(date.c_str(), nullptr);
  if (when == -1) return std::nullopt;
  const std::int64_t delta = static_cast<std::int64_t>(when) * 1000 - to_epoch_ms(now);
  return Millis{std::clamp<std::int64_t>(delta, 0, 86'400'000)};
}

WriteOutcome outcome(WriteOutcome::Kind kind, int status, std::string error, std::string message) {
  WriteOutcome o;
  o.kind = kind;
  o.status = status;
  o.error = std::move(error);
  o.message = std::move(message);
  return o;
}

}  // namespace

struct InfluxWriter::Curl {
  std::unique_ptr<CURL, EasyCleanup> easy;
  Slist headers;
  std::string response;
  char errbuf[CURL_ERROR_SIZE] = {};
};

InfluxWriter::InfluxWriter(const config::UplinkConfig& cfg, const Clock& clock)
    : cfg_(cfg), clock_(clock), curl_(std::make_unique<Curl>()) {}

InfluxWriter::~InfluxWriter() = default;

Result<std::unique_ptr<InfluxWriter>> InfluxWriter::create(const config::UplinkConfig& cfg,
                                                           const Clock& clock) {
  const bool v2 = cfg.type == config::UplinkType::influxdb_v2;
  const std::string who = "uplink \"" + cfg.name + "\": ";
  if (cfg.url.empty()) return make_error("uplink_config", who + "url is empty");
  if (!v2 && cfg.database.empty()) {
    return make_error("uplink_config", who + "an InfluxDB v1 uplink needs a database");
  }
  if (v2 && (cfg.org.empty() || cfg.bucket.empty())) {
    return make_error("uplink_config", who + "an InfluxDB v2 uplink needs an org and a bucket");
  }

  std::unique_ptr<InfluxWriter> w(new InfluxWriter(cfg, clock));
  Curl& c = *w->curl_;
  c.easy.reset(curl_easy_init());
  if (!c.easy) return make_error("uplink_init", who + "curl_easy_init failed");
  CURL* easy = c.easy.get();

  // The URL: the configured base (which may carry a path prefix, e.g. behind a reverse proxy)
  // plus the write path and our query, assembled by libcurl's URL parser.
  std::unique_ptr<CURLU, UrlCleanup> url(curl_url());
  if (!url) return make_error("uplink_init", who + "curl_url failed");
  if (const CURLUcode rc = curl_url_set(url.get(), CURLUPART_URL, cfg.url.c_str(), 0);
      rc != CURLUE_OK) {
    return make_error("uplink_config",
                      who + "bad url \"" + cfg.url + "\": " + curl_url_strerror(rc));
  }
  auto scheme = url_part(url.get(), CURLUPART_SCHEME);
  if (!scheme || (*scheme != "http" && *scheme != "https")) {
    return make_error("uplink_config", who + "url \"" + cfg.url + "\" is not http(s)");
  }
  auto path = url_part(url.get(), CURLUPART_PATH);
  if (!path) return path.error();
  while (!path->empty() && path->back() == '/') path->pop_back();
  std::string query;
  auto add = [&](const char* key, const std::string& value) -> Result<void> {
    auto e = escape(easy, value);
    if (!e) return e.error();
    query += (query.empty() ? "" : "&") + std::string(key) + "=" + *e;
    return {};
  };
  Result<void> added;
  if (v2) {
    *path += "/api/v2/write";
    if (added = add("org", cfg.org); added) added = add("bucket", cfg.bucket);
  } else {
    *path += "/write";
    added = add("db", cfg.database);
    if (added && !cfg.retention_policy.empty()) added = add("rp", cfg.retention_policy);
  }
  if (!added) return added.error();
  query += "&precision=ms";
  if (curl_url_set(url.get(), CURLUPART_PATH, path->c_str(), 0) != CURLUE_OK ||
      curl_url_set(url.get(), CURLUPART_QUERY, query.c_str(), 0) != CURLUE_OK) {
    return make_error("uplink_config", who + "cannot build the write URL from \"" + cfg.url + "\"");
  }
  auto full = url_part(url.get(), CURLUPART_URL);
  if (!full) return full.error();
  w->url_ = *full;
  (void)curl_url_set(url.get(), CURLUPART_USER, nullptr, 0);
  (void)curl_url_set(url.get(), CURLUPART_PASSWORD, nullptr, 0);
  auto shown = url_part(url.get(), CURLUPART_URL);
  w->endpoint_ = shown ? *shown : cfg.url;

  // "Expect:" turns off libcurl's 100-continue handshake for big bodies: one round trip less,
  // and InfluxDB answers a bad request after reading it anyway.
  bool ok =
      append(c.headers, "Content-Type: text/plain; charset=utf-8") && append(c.headers, "Expect:");
  if (cfg.gzip) ok = ok && append(c.headers, "Content-Encoding: gzip");
  if (v2) ok = ok && append(c.headers, "Authorization: Token " + cfg.token);
  if (!ok) return make_error("uplink_init", who + "out of memory building headers");

  const long timeout_ms = static_cast<long>(std::max<std::int64_t>(cfg.timeout.count(), 1));
  bool set = curl_easy_setopt(easy, CURLOPT_URL, w->url_.c_str()) == CURLE_OK &&
             curl_easy_setopt(easy, CURLOPT_PROTOCOLS_STR, "http,https") == CURLE_OK &&
             curl_easy_setopt(easy, CURLOPT_POST, 1L) == CURLE_OK &&
             curl_easy_setopt(easy, CURLOPT_HTTPHEADER, c.headers.get()) == CURLE_OK &&
             curl_easy_setopt(easy, CURLOPT_USERAGENT, "farmgate") == CURLE_OK &&
             // Threads: no signals for DNS timeouts (Debian's libcurl resolves on a thread).
             curl_easy_setopt(easy, CURLOPT_NOSIGNAL, 1L) == CURLE_OK &&
             curl_easy_setopt(easy, CURLOPT_TIMEOUT_MS, timeout_ms) == CURLE_OK &&
             curl_easy_setopt(easy, CURLOPT_CONNECTTIMEOUT_MS, timeout_ms) == CURLE_OK &&
             curl_easy_setopt(easy, CURLOPT_TCP_KEEPALIVE, 1L) == CURLE_OK &&
             curl_easy_setopt(easy, CURLOPT_ERRORBUFFER, c.errbuf) == CURLE_OK &&
             curl_easy_setopt(easy, CURLOPT_WRITEFUNCTION, on_body) == CURLE_OK &&
             curl_easy_setopt(easy, CURLOPT_WRITEDATA, &c.response) == CURLE_OK &&
             curl_easy_setopt(easy, CURLOPT_NOPROGRESS, 0L) == CURLE_OK &&
             curl_easy_setopt(easy, CURLOPT_XFERINFOFUNCTION, on_progress) == CURLE_OK &&
             curl_easy_setopt(easy, CURLOPT_XFERINFODATA, &w->cancelled_) == CURLE_OK;
  if (set && !v2 && !cfg.username.empty()) {
    set = curl_easy_setopt(easy, CURLOPT_HTTPAUTH, static_cast<long>(CURLAUTH_BASIC)) == CURLE_OK &&
          curl_easy_setopt(easy, CURLOPT_USERNAME, cfg.username.c_str()) == CURLE_OK &&
          curl_easy_setopt(easy, CURLOPT_PASSWORD, cfg.password.c_str()) == CURLE_OK;
  }
  if (!set) return make_error("uplink_init", who + "this libcurl lacks a needed option");
  return w;
}

WriteOutcome InfluxWriter::write(const std::string& body, std::size_t points) {
  using Kind = WriteOutcome::Kind;
  if (cancelled_.load()) return outcome(Kind::retry, 0, "cancelled", "stopping");

  std::string gzipped;
  const std::string* payload = &body;
  if (cfg_.gzip) {
    auto z = gzip_compress(body);
    if (!z) return outcome(Kind::retry, 0, "gzip", z.error().message);
    gzipped = std::move(*z);
    payload = &gzipped;
  }

  Curl& c = *curl_;
  CURL* easy = c.easy.get();
  c.response.clear();
  c.errbuf[0] = '\0';
  (void)curl_easy_setopt(easy, CURLOPT_POSTFIELDS, payload->data());
  (void)curl_easy_setopt(easy, CURLOPT_POSTFIELDSIZE_LARGE,
                         static_cast<curl_off_t>(payload->size()));
  const CURLcode rc = curl_easy_perform(easy);
  // POSTFIELDS only points at our buffer, which is about to go away.
  (void)curl_easy_setopt(easy, CURLOPT_POSTFIELDS, static_cast<const char*>(nullptr));

  const std::string what = std::to_string(points) + (points == 1 ? " point" : " points");
  if (rc != CURLE_OK) {
    const std::string detail =
        std::string(curl_easy_strerror(rc)) + (c.errbuf[0] ? std::string(": ") + c.errbuf : "");
    std::string kind = "transport";
    switch (rc) {
      case CURLE_ABORTED_BY_CALLBACK:
        return outcome(Kind::retry, 0, "cancelled", "write to " + endpoint_ + " cancelled");
      case CURLE_OPERATION_TIMEDOUT:
        kind = "timeout";
        break;
      case CURLE_COULDNT_CONNECT:
      case CURLE_COULDNT_RESOLVE_HOST:
      case CURLE_COULDNT_RESOLVE_PROXY:
        kind = "connect";
        break;
      case CURLE_PEER_FAILED_VERIFICATION:
      case CURLE_SSL_CONNECT_ERROR:
      case CURLE_SSL_CERTPROBLEM:
      case CURLE_SSL_CIPHER:
      case CURLE_SSL_CACERT_BADFILE:
        kind = "tls";
        break;
      default:
        break;
    }
    return outcome(Kind::retry, 0, kind,
                   "cannot write " + what + " to " + endpoint_ + ": " + detail);
  }

  long code = 0;
  (void)curl_easy_getinfo(easy, CURLINFO_RESPONSE_CODE, &code);
  const int status = static_cast<int>(code);
  if (status >= 200 && status < 300) return outcome(Kind::delivered, status, "", "");

  std::string message = "HTTP " + std::to_string(status) + " from " + endpoint_ + " for " + what;
  if (const std::string said = one_line(c.response); !said.empty()) message += ": " + said;

  WriteOutcome o = outcome(Kind::retry, status, "http_other", "");
  curl_header* h = nullptr;
  if (curl_easy_header(easy, "Retry-After", 0, CURLH_HEADER, -1, &h) == CURLHE_OK && h) {
    o.retry_after = parse_retry_after(h->value, clock_.now());
  }
  const bool v2 = cfg_.type == config::UplinkType::influxdb_v2;
  if (status == 400 || status == 422) {
    o.kind = Kind::reject;
    o.error = "rejected";
  } else if (status == 413) {
    o.error = "too_large";
  } else if (status == 429 || status == 503) {
    o.error = "throttled";
  } else if (status == 408) {
    o.error = "timeout";
  } else if (status >= 500) {
    o.error = "server";
  } else if (status == 401 || status == 403) {
    o.error = "auth";
    message += v2 ? " (check the uplink's token and its write permission on the bucket)"
                  : " (check the uplink's username and password)";
  } else if (status == 404) {
    o.error = "not_found";
    message += v2 ? " (check the uplink's url, org and bucket)"
                  : " (check the uplink's url and that the database exists)";
  } else {
    message += " (check the uplink's url)";
  }
  o.message = std::move(message);
  return o;
}

Result<std::string> gzip_compress(std::string_view data) {
  // Owns the zlib stream; deflateEnd frees its state on every path.
  struct Deflater {
    z_stream s{};
    bool live = false;
    ~Deflater() {
      if (live) deflateEnd(&s);
    }
  } z;
  if (data.size() > UINT_MAX) return make_error("gzip", "body too large to gzip in one go");
  // windowBits 15 + 16: the gzip wrapper rather than zlib's, as Content-Encoding: gzip means.
  // Level 1: line protocol is repetitive enough that it still shrinks ~8x, at 2.4x less CPU than
  // the default level (bench/README.md) — the Pi's core matters more than the last bytes.
  if (deflateInit2(&z.s, Z_BEST_SPEED, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY) !=
      Z_OK) {
    return make_error("gzip", "deflateInit2 failed");
  }
  z.live = true;
  std::string out(deflateBound(&z.s, static_cast<uLong>(data.size())), '\0');
  z.s.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(data.data()));
  z.s.avail_in = static_cast<uInt>(data.size());
  z.s.next_out = reinterpret_cast<Bytef*>(out.data());
  z.s.avail_out = static_cast<uInt>(out.size());
  // The output buffer holds deflateBound() bytes, so one call finishes the stream.
  if (deflate(&z.s, Z_FINISH) != Z_STREAM_END) return make_error("gzip", "deflate failed");
  out.resize(z.s.total_out);
  return out;
}

}  // namespace farmgate::uplink
