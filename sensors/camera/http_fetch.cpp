#include "sensors/camera/http_fetch.h"

#include <curl/curl.h>

#include <stdexcept>

namespace farmgate::sensors::camera {
namespace {

struct CurlCleanup {
  void operator()(CURL* c) const { curl_easy_cleanup(c); }
};

struct Transfer {
  std::vector<std::uint8_t> body;
  std::size_t max_bytes = 0;
  bool too_large = false;
  const std::atomic<bool>* cancelled = nullptr;
};

std::size_t on_body(char* data, std::size_t size, std::size_t n, void* user) {
  auto* t = static_cast<Transfer*>(user);
  const std::size_t len = size * n;
  if (t->body.size() + len > t->max_bytes) {
    t->too_large = true;
    return 0;  // makes curl stop with CURLE_WRITE_ERROR
  }
  t->body.insert(t->body.end(), data, data + len);
  return len;
}

int on_progress(void* user, curl_off_t, curl_off_t, curl_off_t, curl_off_t) {
  const auto* t = static_cast<const Transfer*>(user);
  return t->cancelled->load() ? 1 : 0;  // non-zero aborts with CURLE_ABORTED_BY_CALLBACK
}

long curl_auth(config::CameraAuth a) {
  switch (a) {
    case config::CameraAuth::basic:
      return CURLAUTH_BASIC;
    case config::CameraAuth::digest:
      return CURLAUTH_DIGEST;
    case config::CameraAuth::any:
      return CURLAUTH_ANY;
    case config::CameraAuth::none:
      break;
  }
  return CURLAUTH_NONE;
}

}  // namespace

struct SnapshotFetcher::Curl {
  std::unique_ptr<CURL, CurlCleanup> handle;
  char error[CURL_ERROR_SIZE] = {};
};

SnapshotFetcher::SnapshotFetcher(FetchOptions options)
    : options_(std::move(options)), curl_(std::make_unique<Curl>()) {
  curl_->handle.reset(curl_easy_init());
  // Out of memory at start-up; nothing sensible to return.
  if (!curl_->handle) throw std::runtime_error("curl_easy_init failed");
}

SnapshotFetcher::~SnapshotFetcher() = default;

Result<std::vector<std::uint8_t>> SnapshotFetcher::fetch() {
  if (cancelled_.load()) return make_error("cancelled", "the camera fetch was cancelled");
  CURL* c = curl_->handle.get();
  Transfer t;
  t.max_bytes = options_.max_bytes;
  t.cancelled = &cancelled_;
  curl_->error[0] = '\0';
  curl_easy_setopt(c, CURLOPT_URL, options_.url.c_str());
  curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
  curl_easy_setopt(c, CURLOPT_ERRORBUFFER, curl_->error);
  // Signals would interrupt other threads' work; timeouts then rely on the threaded resolver.
  curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, static_cast<long>(options_.timeout.count()));
  curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT_MS, static_cast<long>(options_.timeout.count()));
  curl_easy_setopt(c, CURLOPT_MAXFILESIZE_LARGE, static_cast<curl_off_t>(options_.max_bytes));
  curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_body);
  curl_easy_setopt(c, CURLOPT_WRITEDATA, &t);
  curl_easy_setopt(c, CURLOPT_NOPROGRESS, 0L);
  curl_easy_setopt(c, CURLOPT_XFERINFOFUNCTION, on_progress);
  curl_easy_setopt(c, CURLOPT_XFERINFODATA, &t);
  curl_easy_setopt(c, CURLOPT_FOLLOWLOCATION, 0L);
  curl_easy_setopt(c, CURLOPT_SSL_VERIFYPEER, options_.tls_verify ? 1L : 0L);
  curl_easy_setopt(c, CURLOPT_SSL_VERIFYHOST, options_.tls_verify ? 2L : 0L);
  const long auth = curl_auth(options_.auth);
  if (auth != CURLAUTH_NONE) {
    curl_easy_setopt(c, CURLOPT_HTTPAUTH, auth);
    curl_easy_setopt(c, CURLOPT_USERNAME, options_.username.c_str());
    curl_easy_setopt(c, CURLOPT_PASSWORD, options_.password.c_str());
  }

  const CURLcode rc = curl_easy_perform(c);
  const std::string detail = curl_->error[0] != '\0' ? curl_->error : curl_easy_strerror(rc);
  switch (rc) {
    case CURLE_OK:
      break;
    case CURLE_OPERATION_TIMEDOUT:
      return make_error("timeout", "no snapshot within " +
                                       std::to_string(options_.timeout.count()) + " ms: " + detail);
    case CURLE_COULDNT_RESOLVE_HOST:
    case CURLE_COULDNT_CONNECT:
      return make_error("connect", "cannot reach the camera: " + detail);
    case CURLE_PEER_FAILED_VERIFICATION:
    case CURLE_SSL_CONNECT_ERROR:
    case CURLE_SSL_CERTPROBLEM:
    case CURLE_SSL_CACERT_BADFILE:
      return make_error("tls",
                        "TLS with the camera failed (set tls_verify: false for a "
                        "self-signed camera certificate): " +
                            detail);
    case CURLE_ABORTED_BY_CALLBACK:
      return make_error("cancelled", "the camera fetch was cancelled");
    case CURLE_FILESIZE_EXCEEDED:
      return make_error("too_large", "the snapshot is larger than " +
                                         std::to_string(options_.max_bytes) + " bytes");
    case CURLE_WRITE_ERROR:
      if (t.too_large) {
        return make_error("too_large", "the snapshot is larger than " +
                                           std::to_string(options_.max_bytes) + " bytes");
      }
      [[fallthrough]];
    default:
      return make_error("transfer", "the snapshot transfer failed: " + detail);
  }
  long status = 0;
  curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
  if (status == 401 || status == 403) {
    return make_error("auth", "the camera refused the credentials (HTTP " + std::to_string(status) +
                                  "); check username, password and auth");
  }
  if (status < 200 || status > 299) {
    return make_error("http_status", "the camera answered HTTP " + std::to_string(status));
  }
  if (t.body.empty()) return make_error("empty", "the camera answered with an empty body");
  return std::move(t.body);
}

}  // namespace farmgate::sensors::camera
