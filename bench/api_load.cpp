// farmgate_api_load: a small HTTP/1.1 load generator for the web API's benchmarks (bench/api.sh,
// bench/series.sh). N keep-alive connections each send one GET, wait for its answer and send the
// next (closed loop, no pipelining), for a fixed time or a fixed number of requests; latency is
// from the first byte written to the last byte of the answer read.
//
//   farmgate_api_load --port P --target /api/v1/zones [--host 127.0.0.1]
//                     [--header 'Authorization: Bearer fgt_...']...
//                     [--connections 8] [--duration-s 10 --warmup-s 1 | --requests N]
//
// With --duration-s, only requests sent after the warm-up and answered before its end count,
// and req/s is that count over the duration. With --requests, exactly N requests are sent (over
// all connections) and each one counts. Prints one JSON line:
//   {"connections":..,"seconds":..,"requests":..,"rps":..,"ok":..,"non_2xx":..,"errors":..,
//    "reconnects":..,"completed":..,"p50_ms":..,"p90_ms":..,"p99_ms":..,"max_ms":..,
//    "mean_body_bytes":..,"status":<first status>,"body":"<first answer's body, cut at 300 B>"}
// "ok" counts 2xx answers; a non-2xx answer or a transport error still counts in "requests" and
// the percentiles, so that a failing server cannot look fast. "completed" counts every request
// that ended, warm-up included (to divide the server's CPU time by). Exit status 1 when nothing
// was answered with 2xx, 2 on bad arguments.
//
// One thread, one io_context: pin it with taskset so it does not compete with the server.
#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/connect.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http/empty_body.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/string_body.hpp>
#include <boost/beast/http/write.hpp>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <string>
#include <utility>
#include <vector>

namespace {

namespace asio = boost::asio;
namespace http = boost::beast::http;
using tcp = asio::ip::tcp;
using Clock = std::chrono::steady_clock;
constexpr auto kNoThrow = asio::as_tuple(asio::use_awaitable);

struct Options {
  std::string host = "127.0.0.1";
  std::string port;
  std::string target;
  std::vector<std::pair<std::string, std::string>> headers;
  int connections = 8;
  double duration_s = 10;
  double warmup_s = 1;
  long requests = 0;  // > 0: fixed count instead of fixed duration
};

bool parse(int argc, char** argv, Options& o) {
  for (int i = 1; i + 1 < argc; i += 2) {
    const std::string k = argv[i], v = argv[i + 1];
    try {
      if (k == "--host") {
        o.host = v;
      } else if (k == "--port") {
        o.port = v;
      } else if (k == "--target") {
        o.target = v;
      } else if (k == "--header") {
        const auto colon = v.find(':');
        if (colon == std::string::npos) return false;
        const auto value_at = v.find_first_not_of(' ', colon + 1);
        o.headers.emplace_back(v.substr(0, colon),
                               value_at == std::string::npos ? "" : v.substr(value_at));
      } else if (k == "--connections") {
        o.connections = std::stoi(v);
      } else if (k == "--duration-s") {
        o.duration_s = std::stod(v);
      } else if (k == "--warmup-s") {
        o.warmup_s = std::stod(v);
      } else if (k == "--requests") {
        o.requests = std::stol(v);
      } else {
        return false;
      }
    } catch (const std::exception&) {
      return false;  // std::stoi and friends on a non-number
    }
  }
  return argc % 2 == 1 && !o.port.empty() && o.target.starts_with("/") && o.connections > 0 &&
         o.duration_s > 0 && o.warmup_s >= 0 && o.requests >= 0;
}

// What every connection records into; one thread, so no locking.
struct Run {
  Options opt;
  tcp::resolver::results_type endpoints;
  Clock::time_point measure_from, measure_to;  // duration mode
  long issued = 0;                             // requests mode
  std::vector<double> latency_ms;
  long ok = 0, non_2xx = 0, errors = 0, reconnects = 0;
  long completed = 0;  // answered or failed, warm-up and tail included: the server's whole work
  double body_bytes = 0;
  int first_status = 0;
  std::string first_body;

  bool fixed_count() const { return opt.requests > 0; }
  // Whether a connection may send another request now.
  bool more() {
    if (fixed_count()) return issued < opt.requests;
    return Clock::now() < measure_to;
  }
  bool counts(Clock::time_point sent, Clock::time_point done) const {
    return fixed_count() || (sent >= measure_from && done <= measure_to);
  }
  void record(Clock::time_point sent, Clock::time_point done, int status, const std::string& body) {
    ++completed;
    if (!counts(sent, done)) return;
    latency_ms.push_back(std::chrono::duration<double, std::milli>(done - sent).count());
    if (status == 0) {
      ++errors;
      return;
    }
    if (first_status == 0) {
      first_status = status;
      first_body = body.substr(0, 300);
    }
    (status >= 200 && status < 300 ? ok : non_2xx) += 1;
    body_bytes += static_cast<double>(body.size());
  }
};

asio::awaitable<void> connection(Run& run) {
  auto ex = co_await asio::this_coro::executor;
  tcp::socket socket(ex);
  boost::beast::flat_buffer buffer;
  http::request<http::empty_body> req{http::verb::get, run.opt.target, 11};
  req.set(http::field::host, run.opt.host + ":" + run.opt.port);
  req.set(http::field::user_agent, "farmgate_api_load");
  for (const auto& [name, value] : run.opt.headers) req.set(name, value);
  req.keep_alive(true);
  bool connected = false;
  while (run.more()) {
    if (!connected) {
      socket = tcp::socket(ex);
      buffer.clear();
      auto [ec, ep] = co_await asio::async_connect(socket, run.endpoints, kNoThrow);
      if (ec) {
        ++run.errors;
        // Refused connections would spin; a server that refuses is a failed run anyway.
        if (run.errors > 1000) co_return;
        continue;
      }
      socket.set_option(tcp::no_delay(true));
      connected = true;
    }
    if (run.fixed_count()) ++run.issued;
    const auto sent = Clock::now();
    auto [wec, wn] = co_await http::async_write(socket, req, kNoThrow);
    http::response<http::string_body> res;
    boost::system::error_code rec = wec;
    if (!wec) {
      auto [ec, rn] = co_await http::async_read(socket, buffer, res, kNoThrow);
      rec = ec;
    }
    const auto done = Clock::now();
    if (rec) {
      run.record(sent, done, 0, "");
      connected = false;
      ++run.reconnects;
      continue;
    }
    run.record(sent, done, res.result_int(), res.body());
    if (!res.keep_alive()) {
      connected = false;
      ++run.reconnects;
    }
  }
  boost::system::error_code ignored;
  socket.shutdown(tcp::socket::shutdown_both, ignored);
}

double percentile(const std::vector<double>& sorted, double p) {
  if (sorted.empty()) return 0;
  // Nearest rank: the smallest value with at least p of the samples at or below it.
  const auto rank =
      static_cast<std::size_t>(std::max(1.0, std::ceil(p * static_cast<double>(sorted.size()))));
  return sorted[std::min(rank, sorted.size()) - 1];
}

std::string json_escape(const std::string& s) {
  std::string out;
  for (const char c : s) {
    if (c == '"' || c == '\\') {
      out += '\\';
      out += c;
    } else if (static_cast<unsigned char>(c) < 0x20) {
      out += ' ';
    } else {
      out += c;
    }
  }
  return out;
}

}  // namespace

int main(int argc, char** argv) {
  Run run;
  if (!parse(argc, argv, run.opt)) {
    std::fprintf(stderr,
                 "usage: farmgate_api_load --port P --target /PATH [--host H] [--header 'K: V']... "
                 "[--connections N] [--duration-s S --warmup-s W | --requests N]\n");
    return 2;
  }
  asio::io_context io;
  boost::system::error_code ec;
  run.endpoints = tcp::resolver(io).resolve(run.opt.host, run.opt.port, ec);
  if (ec) {
    std::fprintf(stderr, "farmgate_api_load: cannot resolve %s: %s\n", run.opt.host.c_str(),
                 ec.message().c_str());
    return 2;
  }
  const auto start = Clock::now();
  const auto secs = [](double s) {
    return std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(s));
  };
  run.measure_from = start + secs(run.opt.warmup_s);
  run.measure_to = run.measure_from + secs(run.opt.duration_s);
  for (int i = 0; i < run.opt.connections; ++i) {
    asio::co_spawn(io, connection(run), asio::detached);
  }
  io.run();
  const double elapsed = std::chrono::duration<double>(Clock::now() - start).count();
  const double seconds = run.fixed_count() ? elapsed : run.opt.duration_s;

  auto sorted = run.latency_ms;
  std::sort(sorted.begin(), sorted.end());
  const auto n = static_cast<long>(sorted.size());
  const long answered = run.ok + run.non_2xx;
  std::printf(
      "{\"connections\":%d,\"seconds\":%.3f,\"requests\":%ld,\"rps\":%.1f,\"ok\":%ld,"
      "\"non_2xx\":%ld,\"errors\":%ld,\"reconnects\":%ld,\"completed\":%ld,\"p50_ms\":%.3f,\"p90_"
      "ms\":%.3f,"
      "\"p99_ms\":%.3f,\"max_ms\":%.3f,\"mean_body_bytes\":%.0f,\"status\":%d,\"body\":\"%s\"}\n",
      run.opt.connections, seconds, n, static_cast<double>(n) / seconds, run.ok, run.non_2xx,
      run.errors, run.reconnects, run.completed, percentile(sorted, 0.50), percentile(sorted, 0.90),
      percentile(sorted, 0.99), sorted.empty() ? 0.0 : sorted.back(),
      answered > 0 ? run.body_bytes / static_cast<double>(answered) : 0.0, run.first_status,
      json_escape(run.first_body).c_str());
  return run.ok > 0 ? 0 : 1;
}
