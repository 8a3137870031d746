// Test support for the Modbus driver: a Scheduler that a worker thread can post to, libmodbus
// slaves (TCP on loopback, RTU on a serial line) running in a thread of the test, and a socat
// pty pair to be that serial line. Test code only (actuators and gateway tests).
#pragma once

#include <arpa/inet.h>
#include <fcntl.h>
#include <modbus/modbus.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <cstdlib>
#include <deque>
#include <filesystem>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <stdexcept>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "actuators/scheduler.h"

namespace farmgate::actuators::testing {

// A Scheduler whose owner thread is the test's: posted work (from any thread) and due timers run
// inside run_until(), on the calling thread, until a condition holds.
class ThreadedScheduler final : public Scheduler {
 public:
  TimerId after(Millis delay, std::function<void()> fn) override {
    std::lock_guard lock(mutex_);
    const TimerId id = next_id_++;
    timers_.emplace(std::make_pair(now() + std::max(delay, Millis{0}), id), std::move(fn));
    return id;
  }
  void cancel(TimerId id) override {
    std::lock_guard lock(mutex_);
    std::erase_if(timers_, [id](const auto& t) { return t.first.second == id; });
  }
  void post(std::function<void()> fn) override {
    {
      std::lock_guard lock(mutex_);
      posted_.push_back(std::move(fn));
    }
    wake_.notify_one();
  }
  SteadyTime now() const override { return std::chrono::steady_clock::now(); }

  // Runs work as it comes until `done()` or `limit` has passed; returns done().
  bool run_until(const std::function<bool()>& done, Millis limit) {
    const SteadyTime end = now() + limit;
    while (!done()) {
      std::function<void()> fn;
      {
        std::unique_lock lock(mutex_);
        const auto ready = [&] {
          return !posted_.empty() || (!timers_.empty() && timers_.begin()->first.first <= now());
        };
        SteadyTime until = end;
        if (!timers_.empty()) until = std::min(until, timers_.begin()->first.first);
        if (!ready()) wake_.wait_until(lock, until, ready);
        if (!posted_.empty()) {
          fn = std::move(posted_.front());
          posted_.pop_front();
        } else if (!timers_.empty() && timers_.begin()->first.first <= now()) {
          fn = std::move(timers_.begin()->second);
          timers_.erase(timers_.begin());
        } else if (now() >= end) {
          return done();
        }
      }
      if (fn) fn();
    }
    return true;
  }

 private:
  std::mutex mutex_;
  std::condition_variable wake_;
  std::deque<std::function<void()>> posted_;
  std::map<std::pair<SteadyTime, TimerId>, std::function<void()>> timers_;
  TimerId next_id_ = 1;
};

// An owned file descriptor.
class Fd {
 public:
  explicit Fd(int fd = -1) : fd_(fd) {}
  ~Fd() { reset(); }
  Fd(Fd&& o) noexcept : fd_(std::exchange(o.fd_, -1)) {}
  Fd& operator=(Fd&& o) noexcept {
    if (this != &o) {
      reset();
      fd_ = std::exchange(o.fd_, -1);
    }
    return *this;
  }
  int get() const { return fd_; }
  void reset() {
    if (fd_ >= 0) ::close(fd_);
    fd_ = -1;
  }

 private:
  int fd_;
};

// A Modbus slave in a thread of the test, with a coil table. Either TCP on 127.0.0.1 (a port of
// its own, kept across stop()/start() so a client can come back to it) or RTU on a serial device.
class ModbusTestSlave {
 public:
  static constexpr int kCoils = 64;

  // TCP on loopback; the port is chosen by the kernel (bind to port 0) at the first start().
  ModbusTestSlave() : mapping_(modbus_mapping_new(kCoils, 0, 0, 0), &modbus_mapping_free) {}
  // RTU on `device` (one end of a pty pair), answering as `slave`.
  ModbusTestSlave(std::string device, int slave) : ModbusTestSlave() {
    device_ = std::move(device);
    slave_ = slave;
  }
  ~ModbusTestSlave() { stop(); }

  void start() {
    int pipe_fds[2];
    if (::pipe2(pipe_fds, O_CLOEXEC) != 0) throw std::runtime_error("pipe");
    stop_read_ = Fd(pipe_fds[0]);
    stop_write_ = Fd(pipe_fds[1]);
    if (device_.empty()) {
      listen_tcp();
      ctx_.reset(modbus_new_tcp("127.0.0.1", port_));
    } else {
      ctx_.reset(modbus_new_rtu(device_.c_str(), 9600, 'N', 8, 1));
      if (!ctx_ || modbus_set_slave(ctx_.get(), slave_) != 0 || modbus_connect(ctx_.get()) != 0) {
        throw std::runtime_error("cannot open " + device_ + ": " + modbus_strerror(errno));
      }
    }
    thread_ = std::thread([this] { serve(); });
  }

  // Closes every socket (clients see the connection drop) and joins the thread.
  void stop() {
    if (!thread_.joinable()) return;
    (void)!::write(stop_write_.get(), "x", 1);
    thread_.join();
    clients_.clear();
    listener_.reset();
    if (ctx_ && !device_.empty()) modbus_close(ctx_.get());
    ctx_.reset();
  }

  unsigned short port() const { return port_; }
  bool coil(int address) {
    std::lock_guard lock(mutex_);
    return mapping_->tab_bits[address] != 0;
  }
  void set_coil(int address, bool on) {
    std::lock_guard lock(mutex_);
    mapping_->tab_bits[address] = on ? 1 : 0;
  }
  int requests() const { return requests_; }

 private:
  struct FreeContext {
    void operator()(modbus_t* ctx) const { modbus_free(ctx); }
  };

  void listen_tcp() {
    listener_ = Fd(::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
    const int yes = 1;
    ::setsockopt(listener_.get(), SOL_SOCKET, SO_REUSEADDR, &yes, sizeof yes);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(port_);  // 0 the first time: the kernel picks
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (::bind(listener_.get(), reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 ||
        ::listen(listener_.get(), 4) != 0) {
      throw std::runtime_error("cannot listen on 127.0.0.1:" + std::to_string(port_));
    }
    socklen_t len = sizeof addr;
    ::getsockname(listener_.get(), reinterpret_cast<sockaddr*>(&addr), &len);
    port_ = ntohs(addr.sin_port);
  }

  // TCP: every connected client is served (a Modbus TCP gateway takes several, and each
  // actuator's driver keeps its own connection). RTU: the one line.
  void serve() {
    std::vector<std::uint8_t> query(MODBUS_MAX_ADU_LENGTH);
    for (;;) {
      std::vector<pollfd> fds{{stop_read_.get(), POLLIN, 0}, {listener_.get(), POLLIN, 0}};
      if (device_.empty()) {
        for (const Fd& c : clients_) fds.push_back({c.get(), POLLIN, 0});
      } else {
        fds.push_back({modbus_get_socket(ctx_.get()), POLLIN, 0});
      }
      if (::poll(fds.data(), fds.size(), -1) < 0) continue;
      if (fds[0].revents != 0) return;
      if (fds[1].revents != 0) {
        clients_.emplace_back(::accept4(listener_.get(), nullptr, nullptr, SOCK_CLOEXEC));
        continue;
      }
      for (std::size_t i = 2; i < fds.size(); ++i) {
        if (fds[i].revents == 0) continue;
        if (device_.empty()) modbus_set_socket(ctx_.get(), fds[i].fd);
        const int n = modbus_receive(ctx_.get(), query.data());
        if (n < 0) {
          if (device_.empty()) {  // the client went away
            std::erase_if(clients_, [&](const Fd& c) { return c.get() == fds[i].fd; });
          }
          break;  // the descriptors changed: poll again
        }
        if (n == 0) continue;  // RTU: addressed to another slave
        ++requests_;
        std::lock_guard lock(mutex_);
        modbus_reply(ctx_.get(), query.data(), n, mapping_.get());
      }
    }
  }

  std::string device_;
  int slave_ = 1;
  unsigned short port_ = 0;
  std::mutex mutex_;
  std::unique_ptr<modbus_mapping_t, void (*)(modbus_mapping_t*)> mapping_;
  std::unique_ptr<modbus_t, FreeContext> ctx_;
  Fd listener_;
  std::vector<Fd> clients_;
  Fd stop_read_;
  Fd stop_write_;
  std::atomic<int> requests_{0};
  std::thread thread_;
};

// True when `program` is on PATH.
inline bool on_path(const std::string& program) {
  const char* path = std::getenv("PATH");
  std::string dirs = path ? path : "/usr/bin:/bin";
  std::size_t start = 0;
  while (start <= dirs.size()) {
    const std::size_t end = std::min(dirs.find(':', start), dirs.size());
    const std::string candidate = dirs.substr(start, end - start) + "/" + program;
    if (::access(candidate.c_str(), X_OK) == 0) return true;
    start = end + 1;
  }
  return false;
}

// A serial line made of two ptys joined by socat: dir/a and dir/b. Killed (by its pid) and
// reaped on destruction.
class SocatPtyPair {
 public:
  explicit SocatPtyPair(const std::filesystem::path& dir) : a_(dir / "a"), b_(dir / "b") {
    const std::string left = "pty,raw,echo=0,link=" + a_.string();
    const std::string right = "pty,raw,echo=0,link=" + b_.string();
    pid_ = ::fork();
    if (pid_ == 0) {
      const int devnull = ::open("/dev/null", O_WRONLY);
      ::dup2(devnull, STDERR_FILENO);  // -d -d chatter
      ::execlp("socat", "socat", "-d", "-d", left.c_str(), right.c_str(), nullptr);
      ::_exit(127);
    }
    // socat makes the links once both ptys exist; that takes milliseconds.
    const auto give_up = std::chrono::steady_clock::now() + std::chrono::seconds(5);
    while (!(std::filesystem::exists(a_) && std::filesystem::exists(b_))) {
      if (std::chrono::steady_clock::now() > give_up) throw std::runtime_error("socat: no ptys");
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
  }
  ~SocatPtyPair() {
    if (pid_ > 0) {
      ::kill(pid_, SIGTERM);
      ::waitpid(pid_, nullptr, 0);
    }
  }
  SocatPtyPair(const SocatPtyPair&) = delete;
  SocatPtyPair& operator=(const SocatPtyPair&) = delete;

  const std::filesystem::path& a() const { return a_; }
  const std::filesystem::path& b() const { return b_; }

 private:
  std::filesystem::path a_;
  std::filesystem::path b_;
  pid_t pid_ = -1;
};

}  // namespace farmgate::actuators::testing
