// Test support for api_test only: a real HttpServer on loopback with its io_context on its own
// thread (as in the daemon), a raw client for streams, and a fake ApiContext over a real store
// file (the Reader reads what the real Store wrote).
#pragma once

#include <gtest/gtest.h>

#include <chrono>
#include <future>
#include <map>
#include <set>
#include <string>
#include <thread>

#include <boost/asio/connect.hpp>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/write.hpp>

#include "core/log.h"
#include "core/metrics.h"
#include "gateway/http/api/context.h"
#include "gateway/http/server.h"
#include "gateway/http/test_client.h"
#include "gateway/store/sqlite.h"

namespace farmgate::http::api::testing {

namespace asio = boost::asio;
using tcp = asio::ip::tcp;

// The HTTP tests' own harness: a real server on loopback, its io_context on a thread.
using Harness = farmgate::http::testing::ServerHarness;

// A client that sends bytes and reads whatever comes, for responses that never end.
class RawClient {
 public:
  explicit RawClient(unsigned short port) : socket_(io_) {
    socket_.connect(tcp::endpoint(asio::ip::make_address("127.0.0.1"), port));
  }
  void send(const std::string& bytes) { asio::write(socket_, asio::buffer(bytes)); }
  // Reads until everything received contains `marker` (true) or `deadline` passes or the
  // server closes (false).
  bool read_until(std::string_view marker, std::chrono::milliseconds deadline = 5s) {
    const auto until = std::chrono::steady_clock::now() + deadline;
    while (received_.find(marker) == std::string::npos) {
      if (closed_ || std::chrono::steady_clock::now() >= until) return false;
      std::array<char, 4096> buf;
      socket_.async_read_some(asio::buffer(buf), [&](boost::system::error_code ec, std::size_t n) {
        if (ec && ec != asio::error::operation_aborted) closed_ = true;
        received_.append(buf.data(), n);
      });
      io_.restart();
      io_.run_until(until);
      if (!io_.stopped()) {
        socket_.cancel();
        io_.restart();
        io_.run();
      }
    }
    return true;
  }
  bool closed() const { return closed_; }
  const std::string& received() const { return received_; }
  void close() {
    boost::system::error_code ec;
    socket_.close(ec);
  }

 private:
  asio::io_context io_;
  tcp::socket socket_;
  std::string received_;
  bool closed_ = false;
};

// The daemon's side, faked: zones and actuators are set by the test, irrigate/stop answer what
// the test says, the store is real.
class FakeContext final : public ApiContext {
 public:
  FakeContext(asio::io_context& io, store::Reader& reader, std::string db_path)
      : io_(io), reader_(reader), db_path_(std::move(db_path)) {}

  void on_io(std::function<void()> f) override { asio::post(io_, std::move(f)); }
  std::vector<std::string> zone_ids() const override {
    std::vector<std::string> out;
    for (const auto& [id, json] : zones) out.push_back(id);
    return out;
  }
  std::optional<std::string> zone_json(const std::string& zone) const override {
    const auto it = zones.find(zone);
    if (it == zones.end()) return std::nullopt;
    return it->second;
  }
  std::vector<ActuatorView> actuators() const override { return actuator_list; }
  Result<Grant> irrigate(const std::string& zone, Millis duration,
                         const std::string& who) override {
    calls.push_back("irrigate " + zone + " " + std::to_string(duration.count()) + " " + who);
    if (!refuse.empty()) return make_error("refused", refuse);
    return Grant{7, duration};
  }
  Result<void> stop(const std::string& zone, const std::string& who) override {
    calls.push_back("stop " + zone + " " + who);
    if (!refuse.empty()) return make_error("refused", refuse);
    return {};
  }
  Millis max_manual_run() const override { return Millis{60 * 60'000}; }
  store::Reader& reader() override { return reader_; }
  // As the daemon would: on a writable connection of its own, here on the reader thread.
  void ack_alarm(std::int64_t id, const std::string& who,
                 std::function<void(Result<store::Alarm>)> done) override {
    const bool queued = reader_.post([this, id, who, done](sqlite::Db&) {
      auto db = sqlite::Db::open(db_path_);
      if (!db) return done(db.error());
      done(store::ack_alarm(*db, id, who, 1'767'225'700'000));
    });
    if (!queued) done(make_error("busy", "busy"));
  }
  SseHub& hub() override { return hub_; }
  bool zone_exists(const std::string& zone) const override {
    for (const auto& [id, json] : zones) {
      if (id == zone) return true;
    }
    return extra_zones.contains(zone);
  }
  std::set<std::string> extra_zones;  // configured, without a valve
  Result<std::optional<SnapshotView>> snapshot(const std::string& zone) const override {
    if (auto it = snapshots.find(zone); it != snapshots.end())
      return std::optional<SnapshotView>(it->second);
    return std::optional<SnapshotView>{};
  }
  std::map<std::string, SnapshotView> snapshots;

  // io thread only once the server runs.
  std::map<std::string, std::string> zones;
  std::vector<ActuatorView> actuator_list;
  std::string refuse;  // non-empty: irrigate and stop are refused with this reason
  std::vector<std::string> calls;

 private:
  asio::io_context& io_;
  store::Reader& reader_;
  std::string db_path_;
  SseHub hub_;
};

}  // namespace farmgate::http::api::testing
