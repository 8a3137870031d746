// SnapshotFetcher: gets one camera's snapshot over HTTP(S) with libcurl: basic or digest auth
// (or whichever the camera offers), a deadline for the whole request, a size cap, and TLS
// verification that may be turned off for a camera with a self-signed certificate.
//
// One fetcher per camera, used by that camera's worker thread only: it keeps its curl handle so
// that the connection and a digest nonce can be reused between snapshots. cancel() may be called
// from any thread and makes a fetch in progress return "cancelled" within about a second.
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "config/camera_config.h"
#include "core/result.h"
#include "core/time.h"

namespace farmgate::sensors::camera {

struct FetchOptions {
  std::string url;
  std::string username;
  std::string password;
  config::CameraAuth auth = config::CameraAuth::none;
  bool tls_verify = true;
  Millis timeout{10'000};
  std::size_t max_bytes = 10u << 20;
};

class SnapshotFetcher {
 public:
  explicit SnapshotFetcher(FetchOptions options);
  ~SnapshotFetcher();
  SnapshotFetcher(const SnapshotFetcher&) = delete;
  SnapshotFetcher& operator=(const SnapshotFetcher&) = delete;

  // The body of a 2xx answer. Error codes (also the metric label): "timeout", "connect",
  // "tls", "auth" (401/403), "http_status", "too_large", "empty", "cancelled", "transfer".
  Result<std::vector<std::uint8_t>> fetch();

  // Aborts the fetch in progress and every later one until resume().
  void cancel() { cancelled_.store(true); }
  void resume() { cancelled_.store(false); }

 private:
  struct Curl;
  FetchOptions options_;
  std::unique_ptr<Curl> curl_;
  std::atomic<bool> cancelled_{false};
};

}  // namespace farmgate::sensors::camera
