// The integration-test harness: real servers (Mosquitto, InfluxDB 1.x, VictoriaMetrics) and real
// binaries (farmgate, farmgate-sim) started on 127.0.0.1 with ports picked at run time and data in
// temporary directories, stopped by PID when the owning object goes away. Nothing here touches a
// fixed port, a system service or the user's files, so tests can run side by side.
//
// Every type is meant for the gtest thread that owns it: create, use and destroy it there.
// MqttCollector's internals are also fed by Paho's threads, which only append under a lock.
// Failures to start a server throw std::runtime_error with the server's log attached.
#pragma once

#include <sys/types.h>

#include <boost/json.hpp>
#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace farmgate::itest {

using namespace std::chrono_literals;
using Env = std::vector<std::pair<std::string, std::string>>;

// ---- files and directories ---------------------------------------------------------------------

// A fresh directory (mkdtemp under $TMPDIR or /tmp), removed with its content on destruction
// unless FARMGATE_KEEP_TEST_DIRS=1, in which case its path is printed so a failure can be studied.
class TempDir {
 public:
  explicit TempDir(const std::string& prefix = "farmgate-test");
  ~TempDir();
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;

  const std::string& path() const { return path_; }
  std::string file(const std::string& name) const { return path_ + "/" + name; }
  // Creates (if needed) and returns a subdirectory.
  std::string subdir(const std::string& name) const;

 private:
  std::string path_;
};

std::string read_file(const std::string& path);                     // "" if it cannot be read
void write_file(const std::string& path, const std::string& text);  // throws on failure
// The last `lines` lines of `text`, for failure messages.
std::string tail(const std::string& text, std::size_t lines = 40);

// A TCP port on 127.0.0.1 that was free a moment ago (bind to port 0, read it back).
int free_port();
// True if something accepts TCP connections on 127.0.0.1:port.
bool port_open(int port);

// ---- processes
// -----------------------------------------------------------------------------------

struct ProcessOptions {
  Env env;                    // added to (or replacing in) the test's own environment
  std::string log_dir;        // where the log goes; empty = a TempDir the Process owns
  std::string name;           // log file stem; default: the program's base name
  bool split_stdout = false;  // stdout to <name>.out, stderr alone to <name>.log
};

// A child process in its own process group with stdin from /dev/null and its output in a log
// file. The destructor sends SIGTERM to the group, waits up to 5 s, then SIGKILLs it.
class Process {
 public:
  explicit Process(std::vector<std::string> argv, ProcessOptions options = {});
  ~Process();
  Process(const Process&) = delete;
  Process& operator=(const Process&) = delete;

  pid_t pid() const { return pid_; }
  bool signal(int sig);  // to the process itself; false if it is gone
  void kill9();          // SIGKILL to the whole group, and reap
  // The wait status (as from waitpid) once the process has exited, or nullopt on timeout.
  std::optional<int> wait_exit(std::chrono::milliseconds timeout);
  bool running();
  // SIGTERM, wait `grace`, then SIGKILL; returns the wait status.
  int stop(std::chrono::milliseconds grace = 5s);

  const std::string& log_path() const { return log_path_; }
  std::string log() const { return read_file(log_path_); }
  std::string out() const { return read_file(out_path_); }  // only with split_stdout

 private:
  std::unique_ptr<TempDir> own_dir_;
  std::string log_path_;
  std::string out_path_;
  pid_t pid_ = -1;
  std::optional<int> status_;
};

// "exit 3", "signal 9 (Killed)", for messages.
std::string describe_status(int wait_status);
// True if the process exited normally with `code`.
bool exited_with(const std::optional<int>& wait_status, int code);

struct CommandResult {
  std::optional<int> status;  // nullopt: killed after the timeout
  std::string out;
  std::string err;
  int exit_code() const;  // -1 unless it exited normally
};
// Runs a command to completion and captures its stdout and stderr.
CommandResult run_command(std::vector<std::string> argv, Env env = {},
                          std::chrono::milliseconds timeout = 120s);

// The full path of a program from PATH or /usr/sbin, /usr/bin; throws if there is none.
std::string find_program(const std::string& name);

// ---- HTTP
// ----------------------------------------------------------------------------------------

struct HttpResponse {
  long status = 0;  // 0 when no response came
  std::string body;
  std::string error;  // curl's message when status is 0
};
HttpResponse http_get(const std::string& url, std::chrono::milliseconds timeout = 10s);
HttpResponse http_post(const std::string& url, const std::string& body,
                       const std::string& content_type, std::chrono::milliseconds timeout = 10s);
std::string url_encode(const std::string& text);

// Calls `predicate` every `poll` until it is true (→ true) or `timeout` passes (→ false).
bool wait_for(const std::function<bool()>& predicate, std::chrono::milliseconds timeout,
              std::chrono::milliseconds poll = 50ms);

// The value of the Prometheus sample `name` whose labels include every pair in `labels`; the sum
// when several match; nullopt when none does.
std::optional<double> prometheus_value(const std::string& exposition, const std::string& name,
                                       const std::map<std::string, std::string>& labels = {});

// ---- servers
// -------------------------------------------------------------------------------------

// A private Mosquitto with persistence in its own directory. start() after stop() reuses the same
// port, configuration and data, as a broker restart does.
class Mosquitto {
 public:
  explicit Mosquitto(const std::string& extra_config = "");  // starts it
  ~Mosquitto();
  Mosquitto(const Mosquitto&) = delete;
  Mosquitto& operator=(const Mosquitto&) = delete;

  int port() const { return port_; }
  std::string url() const { return "tcp://127.0.0.1:" + std::to_string(port_); }
  void start();
  void stop();  // SIGTERM (the broker saves its sessions), wait
  bool running() const { return process_ != nullptr; }
  // Waits until the broker's log shows `client_id` subscribing to `filter` (the log spans
  // restarts, so an earlier subscription counts too).
  bool wait_subscribed(const std::string& client_id, const std::string& filter,
                       std::chrono::milliseconds timeout = 15s) const;
  std::string log() const;
  const std::string& dir() const { return dir_.path(); }

 private:
  TempDir dir_;
  int port_;
  std::unique_ptr<Process> process_;
};

// A private InfluxDB 1.x (influxd) with its meta, data and WAL in its own directory.
class InfluxDb {
 public:
  InfluxDb();  // starts it
  ~InfluxDb();
  InfluxDb(const InfluxDb&) = delete;
  InfluxDb& operator=(const InfluxDb&) = delete;

  std::string url() const { return "http://127.0.0.1:" + std::to_string(http_port_); }
  int port() const { return http_port_; }
  void start();  // waits for /ping to answer 204
  void stop();
  bool running() const { return process_ != nullptr; }
  std::string log() const;

  void create_database(const std::string& name);  // throws on failure
  // Line protocol with millisecond timestamps; throws unless InfluxDB answers 204.
  void write(const std::string& db, const std::string& lines);
  // GET /query with epoch=ms; throws on an HTTP or query error.
  boost::json::value query(const std::string& db, const std::string& influxql);
  // The number of points of `measurement` (the largest per-field count); 0 if there is none.
  std::uint64_t count(const std::string& db, const std::string& measurement);

 private:
  TempDir dir_;
  int http_port_;
  int rpc_port_;
  std::unique_ptr<Process> process_;
};

// A private VictoriaMetrics single node, configured so that what is written can be read back at
// once and a point written twice (same series, same timestamp) is kept once, as in InfluxDB.
class VictoriaMetrics {
 public:
  VictoriaMetrics();  // starts it
  ~VictoriaMetrics();
  VictoriaMetrics(const VictoriaMetrics&) = delete;
  VictoriaMetrics& operator=(const VictoriaMetrics&) = delete;

  std::string url() const { return "http://127.0.0.1:" + std::to_string(port_); }
  void start();  // waits for /health
  void stop();
  std::string log() const;

  // InfluxDB line protocol via VictoriaMetrics' /write; millisecond timestamps.
  void write(const std::string& lines);
  void flush();  // /internal/force_flush: makes recent writes searchable
  // /api/v1/export for a series selector, e.g. {__name__="soil_moisture"}: one JSON object per
  // series, {"metric": {labels}, "values": [...], "timestamps": [...]}. Flushes first.
  std::vector<boost::json::object> export_series(const std::string& selector);
  // Data points of a metric (measurement_field, e.g. "soil_moisture") over all its series.
  std::uint64_t count_points(const std::string& metric);

 private:
  TempDir dir_;
  int port_;
  std::unique_ptr<Process> process_;
};

// ---- MQTT
// ----------------------------------------------------------------------------------------

struct MqttMessage {
  std::string topic;
  std::string payload;
  int qos = 0;
  bool retained = false;
};

// A Paho subscriber that keeps every message it receives, for counting and inspection.
class MqttCollector {
 public:
  // clean_session=false with a fixed client id makes the broker queue messages for it while it
  // is disconnected.
  MqttCollector(const std::string& url, const std::string& client_id, const std::string& filter,
                int qos = 1, bool clean_session = true);
  ~MqttCollector();
  MqttCollector(const MqttCollector&) = delete;
  MqttCollector& operator=(const MqttCollector&) = delete;

  void connect();  // connects and subscribes; throws on failure
  void disconnect();
  std::size_t count() const;
  std::vector<MqttMessage> messages() const;
  bool wait_count(std::size_t n, std::chrono::milliseconds timeout) const;

 private:
  struct State;
  std::string filter_;
  int qos_;
  bool clean_session_;
  std::shared_ptr<State> state_;
};

// ---- the project's binaries
// ----------------------------------------------------------------------

std::string sim_binary();       // FARMGATE_SIM_BIN, or "" when it was not built
std::string farmgate_binary();  // FARMGATE_BIN, or "" when it was not built

// One SQL statement on a database file opened for this call only, so that each call sees what
// the daemon has committed by then: every column of every row as text ("" for NULL). Read-only
// unless `write` (a test tampering with a row). Throws if the file cannot be opened or the SQL
// is wrong: a broken test, not a finding.
std::vector<std::vector<std::string>> query_db(const std::string& file, const std::string& sql,
                                               bool write = false);

// The top of a test gateway's configuration, literal values only (so `farmgate user`, `check`
// and `export` read the same file as the daemon, without its environment): site, time zone,
// data_dir, mqtt (quick reconnects), http on 127.0.0.1:`http_port` and a store that commits
// every 100 ms. The test appends its zones, devices and the rest.
std::string config_head(const std::string& site, const std::string& data_dir,
                        const std::string& mqtt_url, int http_port);
std::string source_dir();  // FARMGATE_SOURCE_DIR

// The JSON line farmgate-sim prints on exit.
struct SimSummary {
  std::uint64_t published = 0;
  std::uint64_t good = 0;
  std::map<std::string, std::uint64_t> bad;  // by kind, e.g. "invalid_json"
  std::optional<std::int64_t> first_ts;
  std::optional<std::int64_t> last_ts;
  std::uint64_t undelivered = 0;
};
// Parses the last non-empty line of the simulator's stdout; nullopt if it is not the summary.
std::optional<SimSummary> parse_sim_summary(const std::string& stdout_text);

}  // namespace farmgate::itest
