#include "tests/integration/harness.h"

#include <arpa/inet.h>
#include <curl/curl.h>
#include <fcntl.h>
#include <mqtt/async_client.h>
#include <netinet/in.h>
#include <pwd.h>
#include <signal.h>
#include <spawn.h>
#include <sqlite3.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <condition_variable>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <mutex>
#include <sstream>
#include <stdexcept>
#include <thread>

extern char** environ;

namespace farmgate::itest {
namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;

// ---- files and directories ---------------------------------------------------------------------

TempDir::TempDir(const std::string& prefix) {
  const char* base = std::getenv("TMPDIR");
  std::string tmpl = std::string(base && *base ? base : "/tmp") + "/" + prefix + "-XXXXXX";
  std::vector<char> buf(tmpl.begin(), tmpl.end());
  buf.push_back('\0');
  if (!mkdtemp(buf.data())) {
    throw std::runtime_error("mkdtemp " + tmpl + ": " + std::strerror(errno));
  }
  path_ = buf.data();
}

TempDir::~TempDir() {
  const char* keep = std::getenv("FARMGATE_KEEP_TEST_DIRS");
  if (keep && std::string(keep) == "1") {
    std::cerr << "[harness] kept " << path_ << "\n";
    return;
  }
  std::error_code ec;
  fs::remove_all(path_, ec);
}

std::string TempDir::subdir(const std::string& name) const {
  std::string p = file(name);
  fs::create_directories(p);
  return p;
}

std::string read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return {};
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

void write_file(const std::string& path, const std::string& text) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out << text;
  out.close();
  if (!out) throw std::runtime_error("cannot write " + path);
}

std::string tail(const std::string& text, std::size_t lines) {
  std::size_t pos = text.size();
  if (pos > 0 && text[pos - 1] == '\n') --pos;
  for (std::size_t n = 0; pos > 0; --pos) {
    if (text[pos - 1] == '\n' && ++n == lines) break;
  }
  return text.substr(pos);
}

namespace {

// RAII for a socket descriptor.
class Fd {
 public:
  explicit Fd(int fd) : fd_(fd) {}
  ~Fd() {
    if (fd_ >= 0) ::close(fd_);
  }
  Fd(const Fd&) = delete;
  Fd& operator=(const Fd&) = delete;
  int get() const { return fd_; }

 private:
  int fd_;
};

sockaddr_in loopback(int port) {
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_port = htons(static_cast<std::uint16_t>(port));
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  return a;
}

}  // namespace

int free_port() {
  Fd s(::socket(AF_INET, SOCK_STREAM, 0));
  if (s.get() < 0) throw std::runtime_error("socket: " + std::string(std::strerror(errno)));
  sockaddr_in a = loopback(0);
  if (::bind(s.get(), reinterpret_cast<sockaddr*>(&a), sizeof a) != 0) {
    throw std::runtime_error("bind: " + std::string(std::strerror(errno)));
  }
  socklen_t len = sizeof a;
  ::getsockname(s.get(), reinterpret_cast<sockaddr*>(&a), &len);
  return ntohs(a.sin_port);
}

bool port_open(int port) {
  Fd s(::socket(AF_INET, SOCK_STREAM, 0));
  if (s.get() < 0) return false;
  sockaddr_in a = loopback(port);
  return ::connect(s.get(), reinterpret_cast<sockaddr*>(&a), sizeof a) == 0;
}

// ---- processes
// -----------------------------------------------------------------------------------

namespace {

std::vector<std::string> merged_environment(const Env& extra) {
  std::vector<std::string> out;
  for (char** e = environ; *e; ++e) {
    std::string kv = *e;
    std::string key = kv.substr(0, kv.find('='));
    bool replaced =
        std::any_of(extra.begin(), extra.end(), [&](const auto& p) { return p.first == key; });
    if (!replaced) out.push_back(std::move(kv));
  }
  for (const auto& [k, v] : extra) out.push_back(k + "=" + v);
  return out;
}

std::vector<char*> c_strings(std::vector<std::string>& v) {
  std::vector<char*> out;
  for (auto& s : v) out.push_back(s.data());
  out.push_back(nullptr);
  return out;
}

// posix_spawn's attribute and file-action objects, freed on every path.
struct SpawnAttr {
  posix_spawnattr_t a;
  SpawnAttr() { posix_spawnattr_init(&a); }
  ~SpawnAttr() { posix_spawnattr_destroy(&a); }
};
struct SpawnActions {
  posix_spawn_file_actions_t a;
  SpawnActions() { posix_spawn_file_actions_init(&a); }
  ~SpawnActions() { posix_spawn_file_actions_destroy(&a); }
};

}  // namespace

Process::Process(std::vector<std::string> argv, ProcessOptions options) {
  if (argv.empty()) throw std::invalid_argument("Process: empty argv");
  std::string dir = options.log_dir;
  if (dir.empty()) {
    own_dir_ = std::make_unique<TempDir>("farmgate-proc");
    dir = own_dir_->path();
  }
  std::string name = options.name.empty() ? fs::path(argv[0]).filename().string() : options.name;
  log_path_ = dir + "/" + name + ".log";
  if (options.split_stdout) out_path_ = dir + "/" + name + ".out";

  SpawnActions actions;
  posix_spawn_file_actions_addopen(&actions.a, 0, "/dev/null", O_RDONLY, 0);
  const int log_flags = O_WRONLY | O_CREAT | O_APPEND;
  // The test process holds sockets (Paho clients, servers' pipes) a child must not keep open.
  posix_spawn_file_actions_addclosefrom_np(&actions.a, 3);
  if (options.split_stdout) {
    posix_spawn_file_actions_addopen(&actions.a, 1, out_path_.c_str(), log_flags, 0644);
    posix_spawn_file_actions_addopen(&actions.a, 2, log_path_.c_str(), log_flags, 0644);
  } else {
    posix_spawn_file_actions_addopen(&actions.a, 1, log_path_.c_str(), log_flags, 0644);
    posix_spawn_file_actions_adddup2(&actions.a, 1, 2);
  }

  // Own process group, so the whole tree can be signalled; default signal dispositions and an
  // empty mask, whatever the test process has set up.
  SpawnAttr attr;
  sigset_t none, all;
  sigemptyset(&none);
  sigfillset(&all);
  posix_spawnattr_setpgroup(&attr.a, 0);
  posix_spawnattr_setsigmask(&attr.a, &none);
  posix_spawnattr_setsigdefault(&attr.a, &all);
  posix_spawnattr_setflags(&attr.a,
                           POSIX_SPAWN_SETPGROUP | POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF);

  std::vector<std::string> env = merged_environment(options.env);
  auto c_argv = c_strings(argv);
  auto c_env = c_strings(env);
  int rc = posix_spawnp(&pid_, argv[0].c_str(), &actions.a, &attr.a, c_argv.data(), c_env.data());
  if (rc != 0) {
    throw std::runtime_error("cannot start " + argv[0] + ": " + std::strerror(rc));
  }
}

Process::~Process() {
  if (pid_ > 0) stop(5s);
}

bool Process::signal(int sig) {
  if (!running()) return false;
  return ::kill(pid_, sig) == 0;
}

void Process::kill9() {
  if (status_) return;
  ::kill(-pid_, SIGKILL);
  wait_exit(10s);
}

std::optional<int> Process::wait_exit(std::chrono::milliseconds timeout) {
  auto deadline = Clock::now() + timeout;
  while (!status_) {
    // Look without reaping first: while the exited leader is a zombie its pid, and so its process
    // group id, cannot be reused, so signalling the group reaches only what it left behind.
    siginfo_t info{};
    int r = ::waitid(P_PID, static_cast<id_t>(pid_), &info, WEXITED | WNOHANG | WNOWAIT);
    if (r == 0 && info.si_pid == pid_) {
      ::kill(-pid_, SIGKILL);
      int st = 0;
      ::waitpid(pid_, &st, 0);
      status_ = st;
      break;
    }
    if (r < 0 && errno != EINTR) {
      status_ = -1;  // not our child any more; treat it as gone
      break;
    }
    if (Clock::now() >= deadline) break;
    std::this_thread::sleep_for(5ms);
  }
  return status_;
}

bool Process::running() {
  return !wait_exit(0ms).has_value();
}

int Process::stop(std::chrono::milliseconds grace) {
  if (!status_) {
    ::kill(pid_, SIGTERM);
    if (!wait_exit(grace)) {
      ::kill(-pid_, SIGKILL);
      wait_exit(10s);
    }
  }
  return status_.value_or(-1);
}

std::string describe_status(int st) {
  if (WIFEXITED(st)) return "exit " + std::to_string(WEXITSTATUS(st));
  if (WIFSIGNALED(st)) {
    return "signal " + std::to_string(WTERMSIG(st)) + " (" + strsignal(WTERMSIG(st)) + ")";
  }
  return "status " + std::to_string(st);
}

bool exited_with(const std::optional<int>& st, int code) {
  return st && WIFEXITED(*st) && WEXITSTATUS(*st) == code;
}

int CommandResult::exit_code() const {
  return status && WIFEXITED(*status) ? WEXITSTATUS(*status) : -1;
}

CommandResult run_command(std::vector<std::string> argv, Env env,
                          std::chrono::milliseconds timeout) {
  TempDir dir("farmgate-cmd");
  CommandResult r;
  {
    Process p(std::move(argv), ProcessOptions{std::move(env), dir.path(), "cmd", true});
    r.status = p.wait_exit(timeout);
    if (!r.status) p.kill9();
    r.out = p.out();
    r.err = p.log();
  }
  return r;
}

std::string find_program(const std::string& name) {
  std::vector<std::string> dirs;
  if (const char* path = std::getenv("PATH")) {
    std::stringstream s(path);
    for (std::string d; std::getline(s, d, ':');) dirs.push_back(d);
  }
  dirs.insert(dirs.end(), {"/usr/sbin", "/usr/bin", "/sbin", "/bin"});
  for (const auto& d : dirs) {
    std::string p = d + "/" + name;
    if (::access(p.c_str(), X_OK) == 0) return p;
  }
  throw std::runtime_error(name + " is not installed (scripts/install-deps test installs it)");
}

// ---- HTTP
// ----------------------------------------------------------------------------------------

namespace {

struct CurlEasy {
  CURL* h = curl_easy_init();
  ~CurlEasy() { curl_easy_cleanup(h); }
};
struct CurlHeaders {
  curl_slist* list = nullptr;
  ~CurlHeaders() { curl_slist_free_all(list); }
};

std::size_t append_body(char* data, std::size_t size, std::size_t n, void* user) {
  static_cast<std::string*>(user)->append(data, size * n);
  return size * n;
}

HttpResponse perform(const std::string& url, const std::string* body,
                     const std::string& content_type, std::chrono::milliseconds timeout) {
  HttpResponse r;
  CurlEasy c;
  CurlHeaders headers;
  if (!c.h) {
    r.error = "curl_easy_init failed";
    return r;
  }
  curl_easy_setopt(c.h, CURLOPT_URL, url.c_str());
  curl_easy_setopt(c.h, CURLOPT_TIMEOUT_MS, static_cast<long>(timeout.count()));
  curl_easy_setopt(c.h, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(c.h, CURLOPT_WRITEFUNCTION, append_body);
  curl_easy_setopt(c.h, CURLOPT_WRITEDATA, &r.body);
  if (body) {
    curl_easy_setopt(c.h, CURLOPT_POST, 1L);
    curl_easy_setopt(c.h, CURLOPT_POSTFIELDS, body->data());
    curl_easy_setopt(c.h, CURLOPT_POSTFIELDSIZE_LARGE, static_cast<curl_off_t>(body->size()));
    headers.list = curl_slist_append(headers.list, ("Content-Type: " + content_type).c_str());
    curl_easy_setopt(c.h, CURLOPT_HTTPHEADER, headers.list);
  }
  CURLcode rc = curl_easy_perform(c.h);
  if (rc != CURLE_OK) {
    r.error = curl_easy_strerror(rc);
    return r;
  }
  curl_easy_getinfo(c.h, CURLINFO_RESPONSE_CODE, &r.status);
  return r;
}

}  // namespace

HttpResponse http_get(const std::string& url, std::chrono::milliseconds timeout) {
  return perform(url, nullptr, {}, timeout);
}

HttpResponse http_post(const std::string& url, const std::string& body,
                       const std::string& content_type, std::chrono::milliseconds timeout) {
  return perform(url, &body, content_type, timeout);
}

std::string url_encode(const std::string& text) {
  std::string out;
  static const char* hex = "0123456789ABCDEF";
  for (unsigned char ch : text) {
    if (std::isalnum(ch) || ch == '-' || ch == '_' || ch == '.' || ch == '~') {
      out += static_cast<char>(ch);
    } else {
      out += '%';
      out += hex[ch >> 4];
      out += hex[ch & 15];
    }
  }
  return out;
}

bool wait_for(const std::function<bool()>& predicate, std::chrono::milliseconds timeout,
              std::chrono::milliseconds poll) {
  auto deadline = Clock::now() + timeout;
  while (true) {
    if (predicate()) return true;
    if (Clock::now() >= deadline) return false;
    std::this_thread::sleep_for(poll);
  }
}

namespace {

// Parses `{a="x",b="y"}` (escapes \\ \" \n as the exposition format has them).
std::map<std::string, std::string> parse_labels(const std::string& s) {
  std::map<std::string, std::string> out;
  std::size_t i = 0;
  while (i < s.size()) {
    while (i < s.size() && (s[i] == ',' || s[i] == ' ')) ++i;
    std::size_t eq = s.find('=', i);
    if (eq == std::string::npos || eq + 1 >= s.size() || s[eq + 1] != '"') break;
    std::string key = s.substr(i, eq - i);
    std::string value;
    std::size_t j = eq + 2;
    for (; j < s.size() && s[j] != '"'; ++j) {
      if (s[j] == '\\' && j + 1 < s.size()) {
        ++j;
        value += s[j] == 'n' ? '\n' : s[j];
      } else {
        value += s[j];
      }
    }
    out[key] = value;
    i = j + 1;
  }
  return out;
}

}  // namespace

std::optional<double> prometheus_value(const std::string& exposition, const std::string& name,
                                       const std::map<std::string, std::string>& labels) {
  std::optional<double> total;
  std::istringstream in(exposition);
  for (std::string line; std::getline(in, line);) {
    if (line.empty() || line[0] == '#') continue;
    if (line.compare(0, name.size(), name) != 0) continue;
    std::size_t pos = name.size();
    std::map<std::string, std::string> have;
    if (pos < line.size() && line[pos] == '{') {
      std::size_t close = line.rfind('}');
      if (close == std::string::npos) continue;
      have = parse_labels(line.substr(pos + 1, close - pos - 1));
      pos = close + 1;
    } else if (pos < line.size() && line[pos] != ' ') {
      continue;  // a longer name with this one as prefix
    }
    bool match = std::all_of(labels.begin(), labels.end(), [&](const auto& kv) {
      auto it = have.find(kv.first);
      return it != have.end() && it->second == kv.second;
    });
    if (!match) continue;
    std::istringstream v(line.substr(pos));
    double x = 0;
    if (v >> x) total = total.value_or(0) + x;
  }
  return total;
}

// ---- servers
// -------------------------------------------------------------------------------------

namespace {

std::string current_user() {
  if (passwd* pw = ::getpwuid(::geteuid())) return pw->pw_name;
  return "root";
}

[[noreturn]] void fail_start(const std::string& what, const std::string& log) {
  throw std::runtime_error(what + "\n--- log ---\n" + tail(log, 30));
}

}  // namespace

Mosquitto::Mosquitto(const std::string& extra_config)
    : dir_("farmgate-mosquitto"), port_(free_port()) {
  std::string data = dir_.subdir("data");
  // Mosquitto started as root drops to the "mosquitto" user, which could not write here; naming
  // the current user keeps it as whoever runs the tests.
  write_file(dir_.file("mosquitto.conf"),
             "listener " + std::to_string(port_) +
                 " 127.0.0.1\n"
                 "allow_anonymous true\n"
                 "user " +
                 current_user() +
                 "\n"
                 "persistence true\n"
                 "persistence_location " +
                 data +
                 "/\n"
                 "autosave_interval 1\n"
                 "max_queued_messages 1000000\n"
                 "max_queued_bytes 0\n"
                 "max_inflight_messages 0\n"
                 "log_dest file " +
                 dir_.file("mosquitto.log") +
                 "\n"
                 "log_type error\nlog_type warning\nlog_type notice\nlog_type information\n"
                 "log_type subscribe\n"
                 "connection_messages true\n" +
                 extra_config + "\n");
  start();
}

Mosquitto::~Mosquitto() {
  stop();
}

void Mosquitto::start() {
  if (process_) return;
  process_ = std::make_unique<Process>(
      std::vector<std::string>{find_program("mosquitto"), "-c", dir_.file("mosquitto.conf")},
      ProcessOptions{{}, dir_.path(), "mosquitto-stdio", false});
  bool up = wait_for([&] { return port_open(port_) || !process_->running(); }, 10s, 10ms);
  if (!up || !process_->running()) {
    std::string log = this->log();
    process_.reset();
    fail_start("mosquitto did not start on port " + std::to_string(port_), log);
  }
}

void Mosquitto::stop() {
  if (!process_) return;
  process_->stop(10s);
  process_.reset();
}

bool Mosquitto::wait_subscribed(const std::string& client_id, const std::string& filter,
                                std::chrono::milliseconds timeout) const {
  // With log_type subscribe the broker logs "<time>: <client id> <qos> <filter>".
  return wait_for(
      [&] {
        std::string log = read_file(dir_.file("mosquitto.log"));
        for (char qos : {'0', '1', '2'}) {
          if (log.find(": " + client_id + " " + qos + " " + filter + "\n") != std::string::npos) {
            return true;
          }
        }
        return false;
      },
      timeout, 20ms);
}

std::string Mosquitto::log() const {
  return read_file(dir_.file("mosquitto.log")) + read_file(dir_.file("mosquitto-stdio.log"));
}

InfluxDb::InfluxDb() : dir_("farmgate-influx"), http_port_(free_port()), rpc_port_(free_port()) {
  const std::string& d = dir_.path();
  write_file(dir_.file("influxdb.conf"),
             "reporting-disabled = true\n"
             "bind-address = \"127.0.0.1:" +
                 std::to_string(rpc_port_) +
                 "\"\n"
                 "[meta]\n"
                 "  dir = \"" +
                 d +
                 "/meta\"\n"
                 "  logging-enabled = false\n"
                 "[data]\n"
                 "  dir = \"" +
                 d +
                 "/data\"\n"
                 "  wal-dir = \"" +
                 d +
                 "/wal\"\n"
                 "  query-log-enabled = false\n"
                 "  trace-logging-enabled = false\n"
                 "[coordinator]\n"
                 "  log-queries-after = \"0s\"\n"
                 "[retention]\n"
                 "  enabled = false\n"
                 "[monitor]\n"
                 "  store-enabled = false\n"
                 "[subscriber]\n"
                 "  enabled = false\n"
                 "[continuous_queries]\n"
                 "  enabled = false\n"
                 "  log-enabled = false\n"
                 "[http]\n"
                 "  enabled = true\n"
                 "  bind-address = \"127.0.0.1:" +
                 std::to_string(http_port_) +
                 "\"\n"
                 "  auth-enabled = false\n"
                 "  log-enabled = false\n"
                 "  write-tracing = false\n"
                 "  pprof-enabled = false\n"
                 "[logging]\n"
                 "  level = \"warn\"\n"
                 "  suppress-logo = true\n");
  start();
}

InfluxDb::~InfluxDb() {
  stop();
}

void InfluxDb::start() {
  if (process_) return;
  process_ =
      std::make_unique<Process>(std::vector<std::string>{find_program("influxd"), "run", "-config",
                                                         dir_.file("influxdb.conf")},
                                ProcessOptions{{}, dir_.path(), "influxd", false});
  bool up =
      wait_for([&] { return !process_->running() || http_get(url() + "/ping", 1s).status == 204; },
               30s, 50ms);
  if (!up || !process_->running()) {
    std::string log = this->log();
    process_.reset();
    fail_start("influxd did not answer /ping on port " + std::to_string(http_port_), log);
  }
}

void InfluxDb::stop() {
  if (!process_) return;
  process_->stop(10s);
  process_.reset();
}

std::string InfluxDb::log() const {
  return read_file(dir_.file("influxd.log"));
}

void InfluxDb::create_database(const std::string& name) {
  auto r = http_post(url() + "/query", "q=" + url_encode("CREATE DATABASE \"" + name + "\""),
                     "application/x-www-form-urlencoded");
  if (r.status != 200) {
    throw std::runtime_error("CREATE DATABASE " + name + ": " + std::to_string(r.status) + " " +
                             r.body + r.error);
  }
}

void InfluxDb::write(const std::string& db, const std::string& lines) {
  auto r = http_post(url() + "/write?precision=ms&db=" + url_encode(db), lines, "text/plain");
  if (r.status != 204) {
    throw std::runtime_error("InfluxDB /write: " + std::to_string(r.status) + " " + r.body +
                             r.error);
  }
}

boost::json::value InfluxDb::query(const std::string& db, const std::string& influxql) {
  auto r =
      http_get(url() + "/query?epoch=ms&db=" + url_encode(db) + "&q=" + url_encode(influxql), 30s);
  if (r.status != 200) {
    throw std::runtime_error("InfluxDB /query: " + std::to_string(r.status) + " " + r.body +
                             r.error);
  }
  boost::json::value v = boost::json::parse(r.body);
  for (const auto& res : v.at("results").as_array()) {
    if (const auto* err = res.as_object().if_contains("error")) {
      throw std::runtime_error("InfluxDB query error: " + boost::json::serialize(*err));
    }
  }
  return v;
}

std::uint64_t InfluxDb::count(const std::string& db, const std::string& measurement) {
  auto v = query(db, "SELECT count(*) FROM \"" + measurement + "\"");
  const auto& res = v.at("results").as_array().at(0).as_object();
  const auto* series = res.if_contains("series");
  if (!series) return 0;
  std::uint64_t best = 0;
  for (const auto& s : series->as_array()) {
    for (const auto& row : s.at("values").as_array()) {
      const auto& cells = row.as_array();
      for (std::size_t i = 1; i < cells.size(); ++i) {
        if (cells[i].is_number()) best = std::max(best, cells[i].to_number<std::uint64_t>());
      }
    }
  }
  return best;
}

VictoriaMetrics::VictoriaMetrics() : dir_("farmgate-vm"), port_(free_port()) {
  start();
}

VictoriaMetrics::~VictoriaMetrics() {
  stop();
}

void VictoriaMetrics::start() {
  if (process_) return;
  process_ = std::make_unique<Process>(
      std::vector<std::string>{
          find_program("victoria-metrics"),
          "-httpListenAddr=127.0.0.1:" + std::to_string(port_),
          "-storageDataPath=" + dir_.subdir("data"),
          "-retentionPeriod=100y",
          // Read-your-writes for tests: no response cache, no "too recent" cut-off.
          "-search.disableCache",
          "-search.latencyOffset=0s",
          // One sample per series and millisecond, like InfluxDB's overwrite of a re-sent point.
          "-dedup.minScrapeInterval=1ms",
          "-loggerLevel=WARN",
      },
      ProcessOptions{{}, dir_.path(), "victoria-metrics", false});
  bool up = wait_for(
      [&] { return !process_->running() || http_get(url() + "/health", 1s).status == 200; }, 30s,
      50ms);
  if (!up || !process_->running()) {
    std::string log = this->log();
    process_.reset();
    fail_start("victoria-metrics did not answer /health on port " + std::to_string(port_), log);
  }
}

void VictoriaMetrics::stop() {
  if (!process_) return;
  process_->stop(10s);
  process_.reset();
}

std::string VictoriaMetrics::log() const {
  return read_file(dir_.file("victoria-metrics.log"));
}

void VictoriaMetrics::write(const std::string& lines) {
  auto r = http_post(url() + "/write?precision=ms", lines, "text/plain");
  if (r.status != 204) {
    throw std::runtime_error("VictoriaMetrics /write: " + std::to_string(r.status) + " " + r.body +
                             r.error);
  }
}

void VictoriaMetrics::flush() {
  auto r = http_get(url() + "/internal/force_flush");
  if (r.status != 200) {
    throw std::runtime_error("VictoriaMetrics force_flush: " + std::to_string(r.status) + r.error);
  }
}

std::vector<boost::json::object> VictoriaMetrics::export_series(const std::string& selector) {
  flush();
  auto r = http_get(url() + "/api/v1/export?match[]=" + url_encode(selector), 30s);
  if (r.status != 200) {
    throw std::runtime_error("VictoriaMetrics export: " + std::to_string(r.status) + " " + r.body +
                             r.error);
  }
  std::vector<boost::json::object> out;
  std::istringstream in(r.body);
  for (std::string line; std::getline(in, line);) {
    if (!line.empty()) out.push_back(boost::json::parse(line).as_object());
  }
  return out;
}

std::uint64_t VictoriaMetrics::count_points(const std::string& metric) {
  std::uint64_t n = 0;
  for (const auto& s : export_series("{__name__=\"" + metric + "\"}")) {
    n += s.at("timestamps").as_array().size();
  }
  return n;
}

// ---- MQTT
// ----------------------------------------------------------------------------------------

// Shared with Paho's callback thread, which only appends.
struct MqttCollector::State {
  State(const std::string& url, const std::string& id) : client(url, id) {}
  mqtt::async_client client;
  mutable std::mutex mu;
  mutable std::condition_variable cv;
  std::vector<MqttMessage> received;
};

MqttCollector::MqttCollector(const std::string& url, const std::string& client_id,
                             const std::string& filter, int qos, bool clean_session)
    : filter_(filter),
      qos_(qos),
      clean_session_(clean_session),
      state_(std::make_shared<State>(url, client_id)) {
  State* st = state_.get();
  st->client.set_message_callback([st](mqtt::const_message_ptr m) {
    std::lock_guard lock(st->mu);
    st->received.push_back({m->get_topic(), m->get_payload_str(), m->get_qos(), m->is_retained()});
    st->cv.notify_all();
  });
}

MqttCollector::~MqttCollector() {
  try {
    disconnect();
  } catch (...) {
    // The broker may already be gone; nothing to clean up then.
  }
}

void MqttCollector::connect() {
  auto opts = mqtt::connect_options_builder()
                  .clean_session(clean_session_)
                  .keep_alive_interval(20s)
                  .connect_timeout(5s)
                  .max_inflight(65535)
                  .finalize();
  state_->client.connect(opts)->wait();
  state_->client.subscribe(filter_, qos_)->wait();
}

void MqttCollector::disconnect() {
  if (state_->client.is_connected()) state_->client.disconnect()->wait_for(5s);
}

std::size_t MqttCollector::count() const {
  std::lock_guard lock(state_->mu);
  return state_->received.size();
}

std::vector<MqttMessage> MqttCollector::messages() const {
  std::lock_guard lock(state_->mu);
  return state_->received;
}

bool MqttCollector::wait_count(std::size_t n, std::chrono::milliseconds timeout) const {
  std::unique_lock lock(state_->mu);
  return state_->cv.wait_for(lock, timeout, [&] { return state_->received.size() >= n; });
}

// ---- the project's binaries
// ----------------------------------------------------------------------

std::string sim_binary() {
#ifdef FARMGATE_SIM_BIN
  return FARMGATE_SIM_BIN;
#else
  return {};
#endif
}

std::string farmgate_binary() {
#ifdef FARMGATE_BIN
  return FARMGATE_BIN;
#else
  return {};
#endif
}

std::vector<std::vector<std::string>> query_db(const std::string& file, const std::string& sql,
                                               bool write) {
  sqlite3* raw = nullptr;
  const int rc = sqlite3_open_v2(file.c_str(), &raw,
                                 write ? SQLITE_OPEN_READWRITE : SQLITE_OPEN_READONLY, nullptr);
  std::unique_ptr<sqlite3, decltype(&sqlite3_close)> db(raw, &sqlite3_close);
  if (rc != SQLITE_OK) throw std::runtime_error("cannot open " + file);
  sqlite3_busy_timeout(db.get(), 2000);
  sqlite3_stmt* st = nullptr;
  if (sqlite3_prepare_v2(db.get(), sql.c_str(), -1, &st, nullptr) != SQLITE_OK) {
    throw std::runtime_error(sql + ": " + sqlite3_errmsg(db.get()));
  }
  std::unique_ptr<sqlite3_stmt, decltype(&sqlite3_finalize)> stmt(st, &sqlite3_finalize);
  std::vector<std::vector<std::string>> rows;
  for (;;) {
    const int step = sqlite3_step(st);
    if (step == SQLITE_DONE) break;
    if (step != SQLITE_ROW) throw std::runtime_error(sql + ": " + sqlite3_errmsg(db.get()));
    std::vector<std::string> row;
    for (int c = 0; c < sqlite3_column_count(st); ++c) {
      const auto* text = sqlite3_column_text(st, c);
      row.emplace_back(text ? reinterpret_cast<const char*>(text) : "");
    }
    rows.push_back(std::move(row));
  }
  return rows;
}

std::string config_head(const std::string& site, const std::string& data_dir,
                        const std::string& mqtt_url, int http_port) {
  return "site: " + site + "\n" +
         "timezone: Asia/Ho_Chi_Minh\n"
         "data_dir: " +
         data_dir + "\n" +
         "mqtt:\n"
         "  url: " +
         mqtt_url + "\n" + "  client_id: farmgate-" + site + "\n" +
         "  reconnect_min: 250ms\n"
         "  reconnect_max: 2s\n"
         "http:\n"
         "  listen: 127.0.0.1:" +
         std::to_string(http_port) + "\n" +
         "store:\n"
         "  batch_interval: 100ms\n";
}

std::string source_dir() {
#ifdef FARMGATE_SOURCE_DIR
  return FARMGATE_SOURCE_DIR;
#else
  return {};
#endif
}

std::optional<SimSummary> parse_sim_summary(const std::string& text) {
  std::istringstream in(text);
  std::string last;
  for (std::string line; std::getline(in, line);) {
    if (!line.empty()) last = line;
  }
  boost::system::error_code ec;
  boost::json::value v = boost::json::parse(last, ec);
  if (ec || !v.is_object() || !v.as_object().contains("published")) return std::nullopt;
  const auto& o = v.as_object();
  SimSummary s;
  s.published = o.at("published").to_number<std::uint64_t>();
  s.good = o.at("good").to_number<std::uint64_t>();
  for (const auto& [k, n] : o.at("bad").as_object()) {
    s.bad[std::string(k)] = n.to_number<std::uint64_t>();
  }
  if (o.at("first_ts").is_number()) s.first_ts = o.at("first_ts").to_number<std::int64_t>();
  if (o.at("last_ts").is_number()) s.last_ts = o.at("last_ts").to_number<std::int64_t>();
  if (const auto* u = o.if_contains("undelivered")) s.undelivered = u->to_number<std::uint64_t>();
  return s;
}

}  // namespace farmgate::itest
