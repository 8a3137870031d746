// UplinkSink: the narrow contract between the uplink framework (Uplink: batching, retries,
// backoff, dead letters, metrics) and one way of writing lines upstream. InfluxWriter is the
// sink for InfluxDB's HTTP write API, v1 (/write) and v2 (/api/v2/write), over libcurl.
//
// Threads: write() is called by the uplink's own thread only, one call at a time, and blocks
// until the server answered or the sink gave up (bounded by its timeout). cancel() may be called
// from any thread (Uplink::stop() does): an in-flight write returns soon as a retry, and every
// later write returns at once. A sink is not restarted after cancel().
#pragma once

#include <atomic>
#include <cstddef>
#include <memory>
#include <optional>
#include <string>

#include "config/config.h"
#include "core/clock.h"
#include "core/result.h"
#include "core/time.h"

namespace farmgate::uplink {

struct WriteOutcome {
  enum class Kind {
    delivered,  // the server has the points
    retry,      // try again later; the data is fine
    reject,     // the server will never take these lines: dead-letter them
  };
  Kind kind = Kind::retry;
  // The HTTP status, or 0 when no response came (connection refused, timeout, cancel). The
  // framework reads two things from it: 413 means "send fewer lines per request", and
  // misconfigured() means "a person must fix the config or credentials".
  int status = 0;
  // How long the server asked us to wait (Retry-After), when it did.
  std::optional<Millis> retry_after;
  // For a person: what happened, with the server's own error text (trimmed).
  std::string message;
  // For farmgate_uplink_errors_total{kind}: a short fixed word ("timeout", "connect", "server",
  // "throttled", "auth", "not_found", "rejected", "too_large", ...); empty when delivered.
  std::string error;

  bool too_large() const { return status == 413; }
  // Redirects and the 4xx answers that no retry can fix by itself (401, 403, 404, 405, ...):
  // retried with backoff (dropping the data for a wrong token would be worse) and alarmed.
  bool misconfigured() const {
    return (status >= 300 && status < 400) ||
           (status >= 400 && status < 500 && status != 400 && status != 408 && status != 413 &&
            status != 422 && status != 429);
  }
};

class UplinkSink {
 public:
  virtual ~UplinkSink() = default;
  // `body` is newline-separated line-protocol lines (the last one ends with '\n'); `points` is
  // how many lines it holds.
  virtual WriteOutcome write(const std::string& body, std::size_t points) = 0;
  virtual void cancel() {}
};

// Writes to InfluxDB over HTTP(S). One libcurl handle, reused so the connection stays open
// between batches. Proxies are taken from the usual environment variables (https_proxy,
// no_proxy, ...), as libcurl does.
//   v1: POST <url>/write?db=<database>[&rp=<retention_policy>]&precision=ms, basic auth when a
//       username is set.
//   v2: POST <url>/api/v2/write?org=<org>&bucket=<bucket>&precision=ms,
//       "Authorization: Token <token>".
// The body is gzipped (Content-Encoding: gzip) when cfg.gzip; every request is bounded by
// cfg.timeout. Answers: 2xx delivered; 400 and 422 (unparsable points, field type conflicts,
// points beyond the retention policy) reject; 413 retry (the framework halves the batch); 429,
// 503 retry after Retry-After (seconds or an HTTP date); other 5xx, 408, network errors and
// timeouts retry; 401/403/404 and other 4xx retry, marked misconfigured().
// Call uplink_global_init() (uplink.h) once from main() before creating one.
class InfluxWriter final : public UplinkSink {
 public:
  // Checks the config (url http(s), database for v1, org and bucket for v2); no I/O.
  // `clock` reads the time an HTTP-date Retry-After is relative to.
  static Result<std::unique_ptr<InfluxWriter>> create(const config::UplinkConfig& cfg,
                                                      const Clock& clock);
  ~InfluxWriter() override;

  WriteOutcome write(const std::string& body, std::size_t points) override;
  void cancel() override { cancelled_.store(true); }

  // The write URL without credentials, for messages.
  const std::string& endpoint() const { return endpoint_; }

 private:
  struct Curl;
  InfluxWriter(const config::UplinkConfig& cfg, const Clock& clock);

  const config::UplinkConfig cfg_;
  const Clock& clock_;
  std::string url_;       // with the query, as sent
  std::string endpoint_;  // url_ without user:password@, for messages
  std::unique_ptr<Curl> curl_;
  std::atomic<bool> cancelled_{false};
};

// Gzip (RFC 1952) of `data`, as sent with Content-Encoding: gzip. Any thread.
Result<std::string> gzip_compress(std::string_view data);

}  // namespace farmgate::uplink
