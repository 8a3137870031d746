#include "gateway/http/server.h"

#include <array>
#include <chrono>
#include <cstdint>
#include <deque>
#include <exception>
#include <map>
#include <optional>
#include <string>
#include <utility>
#include <variant>

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ip/v6_only.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/ssl/context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core/error.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/string.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http/error.hpp>
#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/status.hpp>
#include <boost/beast/http/string_body.hpp>
#include <boost/beast/http/write.hpp>
#include <boost/beast/ssl/ssl_stream.hpp>
#include <boost/url/parse.hpp>

#include "gateway/http/router.h"

namespace farmgate::http {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace bhttp = boost::beast::http;
using tcp = asio::ip::tcp;
using steady = std::chrono::steady_clock;

namespace server_detail {

constexpr std::string_view kComponent = "http";

Verb to_verb(bhttp::verb v) {
  switch (v) {
    case bhttp::verb::get:
      return Verb::get;
    case bhttp::verb::head:
      return Verb::head;
    case bhttp::verb::post:
      return Verb::post;
    case bhttp::verb::put:
      return Verb::put;
    case bhttp::verb::patch:
      return Verb::patch;
    case bhttp::verb::delete_:
      return Verb::delete_;
    case bhttp::verb::options:
      return Verb::options;
    default:
      return Verb::other;
  }
}

// A header name or value a handler set that would let it write outside its header line.
bool unsafe_header_text(std::string_view s) {
  return s.find_first_of(std::string_view("\r\n\0", 3)) != std::string_view::npos;
}

class Session;
class SessionStream;

// The listening socket, the routes and the set of open connections. Shared with every Session,
// so it outlives them whatever order the io_context runs their completions in.
class Listener : public std::enable_shared_from_this<Listener> {
 public:
  Listener(asio::io_context& io, const config::HttpConfig& config, Logger& log, Metrics& metrics,
           ServerOptions options)
      : io(io),
        config(config),
        log(log),
        metrics(metrics),
        options(options),
        acceptor(io),
        accept_retry(io),
        connections(metrics.gauge("farmgate_http_connections", "Open HTTP connections")),
        timeouts(metrics.counter("farmgate_http_timeouts_total",
                                 "HTTP connections closed because a request or a response "
                                 "missed its deadline")) {
    if (this->options.max_connections == 0) this->options.max_connections = 1;
  }

  Result<void> start();
  void stop();
  void session_ended(std::uint64_t id);
  void count_response(int status);
  void count_timeout() {
    if (!stopped) timeouts.inc();
  }
  unsigned short port() const { return bound_port; }

  asio::io_context& io;
  const config::HttpConfig config;
  Logger& log;
  Metrics& metrics;
  ServerOptions options;
  Router router;
  bool stopped = false;
  // Set when config.tls_cert and tls_key are: every connection is then HTTPS.
  std::optional<asio::ssl::context> tls;

 private:
  void do_accept();
  void on_accept(beast::error_code ec, tcp::socket socket);

  tcp::acceptor acceptor;
  asio::steady_timer accept_retry;
  Gauge& connections;
  Counter& timeouts;
  std::map<int, Counter*> responses;  // farmgate_http_requests_total by code, created on first use
  std::map<std::uint64_t, std::weak_ptr<Session>> sessions;
  std::uint64_t next_session = 0;
  unsigned short bound_port = 0;
  bool started = false;
  bool accept_paused = false;
  bool accept_error_logged = false;
};

// One connection: reads requests one after the other (keep-alive, pipelining), answers each, and
// closes on an error, a deadline or the client's wish. Every completion handler holds a
// shared_ptr to the session, so it lives exactly as long as it has an operation in flight.
class Session : public std::enable_shared_from_this<Session> {
 public:
  Session(std::shared_ptr<Listener> listener, tcp::socket socket, std::uint64_t id)
      : listener_(std::move(listener)),
        opts_(listener_->options),
        stream_(make_stream(*listener_, std::move(socket))),
        handler_timer_(listener_->io),
        id_(id) {
    beast::error_code ec;
    const auto peer = tcp_layer().socket().remote_endpoint(ec);
    if (!ec) {
      const std::string addr = peer.address().to_string();
      remote_ =
          (peer.address().is_v6() ? "[" + addr + "]" : addr) + ":" + std::to_string(peer.port());
    }
    // Small responses on a kept-alive connection should not wait for Nagle's timer.
    tcp_layer().socket().set_option(tcp::no_delay(true), ec);
  }

  ~Session() { listener_->session_ended(id_); }

  void start() {
    deadline_ = steady::now() + opts_.request_timeout;
    auto* tls = std::get_if<TlsStream>(&stream_);
    if (tls == nullptr) return read_header();
    // The handshake counts against the first request's deadline, like any slow client.
    tcp_layer().expires_at(deadline_);
    tls->async_handshake(
        asio::ssl::stream_base::server, [self = shared_from_this()](beast::error_code ec) {
          if (self->listener_->stopped) return;
          if (ec) {
            self->listener_->log.debug(
                kComponent, "TLS handshake with " + self->remote_ + " failed: " + ec.message());
            return self->close();
          }
          self->read_header();
        });
  }

  // From Listener::stop(): cancels whatever is in flight.
  void close() {
    closed_ = true;
    handler_timer_.cancel();
    beast::error_code ec;
    tcp_layer().socket().shutdown(tcp::socket::shutdown_both, ec);
    tcp_layer().close();
  }

 private:
  using TlsStream = beast::ssl_stream<beast::tcp_stream>;
  using Stream = std::variant<beast::tcp_stream, TlsStream>;

  static Stream make_stream(Listener& listener, tcp::socket socket) {
    if (listener.tls)
      return Stream(std::in_place_type<TlsStream>, std::move(socket), *listener.tls);
    return Stream(std::in_place_type<beast::tcp_stream>, std::move(socket));
  }
  // The TCP layer, for deadlines and the socket, under TLS or not.
  beast::tcp_stream& tcp_layer() {
    return std::visit([](auto& s) -> beast::tcp_stream& { return beast::get_lowest_layer(s); },
                      stream_);
  }
  // Runs `f` with the stream the HTTP bytes go through (TLS or plain TCP).
  template <class F>
  void with_stream(F&& f) {
    std::visit(std::forward<F>(f), stream_);
  }

  void read_header() {
    parser_.emplace();
    parser_->header_limit(static_cast<std::uint32_t>(opts_.header_limit));
    parser_->body_limit(static_cast<std::uint64_t>(opts_.body_limit));
    tcp_layer().expires_at(deadline_);
    with_stream([&](auto& s) {
      bhttp::async_read_header(
          s, buffer_, *parser_,
          [self = shared_from_this()](beast::error_code ec, std::size_t) { self->on_header(ec); });
    });
  }

  void on_header(beast::error_code ec) {
    if (listener_->stopped) return;
    if (ec) return on_read_error(ec);
    if (parser_->is_done()) return dispatch();
    // A client that asked to be told before it sends its body (curl does for large uploads):
    // the limits passed, so say go ahead rather than make it wait for its own timeout.
    const auto& req = parser_->get();
    if (req.version() >= 11 && beast::iequals(req[bhttp::field::expect], "100-continue")) {
      static constexpr std::string_view kContinue = "HTTP/1.1 100 Continue\r\n\r\n";
      tcp_layer().expires_after(opts_.write_timeout);
      with_stream([&](auto& s) {
        asio::async_write(s, asio::buffer(kContinue.data(), kContinue.size()),
                          [self = shared_from_this()](beast::error_code ec, std::size_t) {
                            if (self->listener_->stopped) return;
                            if (ec) return self->on_write_error(ec);
                            self->read_body();
                          });
      });
      return;
    }
    read_body();
  }

  void read_body() {
    tcp_layer().expires_at(deadline_);
    with_stream([&](auto& s) {
      bhttp::async_read(s, buffer_, *parser_,
                        [self = shared_from_this()](beast::error_code ec, std::size_t) {
                          if (self->listener_->stopped) return;
                          if (ec) return self->on_read_error(ec);
                          self->dispatch();
                        });
    });
  }

  void on_read_error(beast::error_code ec) {
    if (ec == asio::error::operation_aborted) return;
    if (ec == beast::error::timeout) {
      // The stream has closed the socket already; a client this slow gets no answer.
      listener_->count_timeout();
      listener_->log.debug(kComponent, "closed " + remote_ + ": request not complete in time");
      return close();
    }
    // The client closed between requests (end_of_stream) or in the middle of one: nobody is
    // left to answer. Resets and other socket errors likewise.
    if (ec == bhttp::error::end_of_stream || ec == bhttp::error::partial_message ||
        ec.category() != bhttp::make_error_code(bhttp::error::bad_method).category()) {
      return close();
    }
    version_ = parser_->is_header_done() ? parser_->get().version() : 11;
    head_ = false;
    if (ec == bhttp::error::header_limit) {
      return send(Response::error(431, "header_too_large",
                                  "the request line and headers are larger than " +
                                      std::to_string(opts_.header_limit) + " bytes"),
                  false);
    }
    if (ec == bhttp::error::body_limit) {
      return send(Response::error(413, "payload_too_large",
                                  "the request body is larger than " +
                                      std::to_string(opts_.body_limit) + " bytes"),
                  false);
    }
    send(Response::error(400, "bad_request", "malformed HTTP request: " + ec.message()), false);
  }

  void dispatch() {
    auto msg = parser_->release();
    ++generation_;
    version_ = msg.version();
    head_ = msg.method() == bhttp::verb::head;
    keep_alive_ = msg.keep_alive();

    Request req;
    req.verb = to_verb(msg.method());
    req.method = std::string(msg.method_string());
    req.target = std::string(msg.target());
    req.remote = remote_;
    const auto url = boost::urls::parse_origin_form(msg.target());
    if (!url) {
      return send(
          Response::error(400, "bad_request", "the request target must be a path such as /healthz"),
          keep_alive_);
    }
    req.path = std::string(url->encoded_path());
    for (auto segment : url->segments()) req.segments.push_back(std::move(segment));
    // '+' is a space in query strings, as HTML forms send them.
    for (const auto& p : url->params(boost::urls::encoding_opts(true))) {
      req.query.emplace_back(p.key, p.value);
    }
    req.headers.reserve(static_cast<std::size_t>(std::distance(msg.begin(), msg.end())));
    for (const auto& field : msg) {
      req.headers.push_back(Header{std::string(field.name_string()), std::string(field.value())});
    }
    req.body = std::move(msg.body());

    auto match = listener_->router.match(req.verb, req.segments);
    if (match.target == nullptr) {
      if (match.allowed.empty()) {
        return send(Response::error(404, "not_found", "no resource at " + req.path), keep_alive_);
      }
      std::string allow;
      for (Verb v : match.allowed) allow += (allow.empty() ? "" : ", ") + std::string(to_string(v));
      Response r =
          Response::error(405, "method_not_allowed", req.method + " is not allowed on " + req.path);
      r.headers.push_back(Header{"Allow", std::move(allow)});
      return send(std::move(r), keep_alive_);
    }
    req.params = std::move(match.params);

    if (const auto* handler = std::get_if<Handler>(match.target)) {
      std::optional<Response> r;
      try {
        r = (*handler)(req);
      } catch (const std::exception& e) {
        handler_failed(req, e.what());
      } catch (...) {
        handler_failed(req, "unknown exception");
      }
      if (r) send(std::move(*r), keep_alive_);
      return;
    }
    if (const auto* handler = std::get_if<StreamHandler>(match.target)) {
      return call_stream(*handler, req);
    }
    call_async(std::get<AsyncHandler>(*match.target), req);
  }

  // Streaming (route_stream): once the head is sent the session only writes what the writer
  // queues, and reads only to notice the client leaving.
  friend class SessionStream;
  void call_stream(const StreamHandler& handler, const Request& req);
  void open_stream(Response head, const StreamResponder::OnOpen& on_open);
  bool stream_write(std::string_view bytes) {
    if (!streaming_ || closed_ || listener_->stopped) return false;
    stream_pending_ += bytes.size();
    if (stream_pending_ > opts_.stream_buffer_limit) {
      listener_->log.info(kComponent, "dropped streaming client " + remote_ + ": " +
                                          std::to_string(stream_pending_) + " bytes not read");
      close();
      return false;
    }
    stream_out_.emplace_back(bytes);
    if (!stream_writing_) stream_write_next();
    return true;
  }
  void stream_write_next() {
    stream_writing_ = true;
    tcp_layer().expires_after(opts_.write_timeout);
    with_stream([&](auto& s) {
      asio::async_write(s, asio::buffer(stream_out_.front()),
                        [self = shared_from_this()](beast::error_code ec, std::size_t) {
                          if (self->listener_->stopped || self->closed_) return;
                          if (ec) return self->on_write_error(ec);
                          self->stream_pending_ -= self->stream_out_.front().size();
                          self->stream_out_.pop_front();
                          self->stream_writing_ = false;
                          if (!self->stream_out_.empty()) self->stream_write_next();
                        });
    });
  }
  // Anything the client sends while streaming is discarded; its end closes the stream.
  void stream_watch() {
    with_stream([&](auto& s) {
      s.async_read_some(asio::buffer(drain_),
                        [self = shared_from_this()](beast::error_code ec, std::size_t) {
                          if (self->listener_->stopped || self->closed_) return;
                          if (ec) return self->close();
                          self->stream_watch();
                        });
    });
  }

  void call_async(const AsyncHandler& handler, const Request& req) {
    awaiting_ = true;
    const std::uint64_t generation = generation_;
    // Nothing else is in flight while the handler works: this wait keeps the session alive.
    handler_timer_.expires_after(opts_.handler_timeout);
    handler_timer_.async_wait([self = shared_from_this(), generation](beast::error_code ec) {
      if (ec || self->listener_->stopped || !self->awaiting_ || self->generation_ != generation) {
        return;
      }
      self->listener_->log.warn(kComponent,
                                "a handler did not answer within " +
                                    std::to_string(self->opts_.handler_timeout.count()) + " ms");
      self->send(Response::error(503, "handler_timeout", "the gateway did not answer in time"),
                 self->keep_alive_);
    });
    // Called from any thread: only posts. The session is looked up on the io thread, where it
    // may already be gone (closed, stopped, timed out); then the response is dropped.
    Responder respond(
        [weak = weak_from_this(), generation, executor = listener_->io.get_executor()](Response r) {
          asio::post(executor, [weak, generation, r = std::move(r)]() mutable {
            const auto self = weak.lock();
            if (!self || self->listener_->stopped || !self->awaiting_ ||
                self->generation_ != generation) {
              return;
            }
            self->send(std::move(r), self->keep_alive_);
          });
        });
    try {
      handler(req, std::move(respond));
    } catch (const std::exception& e) {
      handler_failed(req, e.what());
    } catch (...) {
      handler_failed(req, "unknown exception");
    }
  }

  void handler_failed(const Request& req, std::string_view what) {
    listener_->log.error(
        kComponent, "handler for " + req.method + " " + req.path + " threw: " + std::string(what));
    send(Response::error(500, "internal_error", "the gateway failed to handle the request"),
         keep_alive_);
  }

  // Builds res_ from `r`; throws what Beast throws for a response it cannot represent.
  void build(Response& r, bool keep_alive) {
    res_ = {};
    res_.version(version_);
    res_.result(static_cast<unsigned>(r.status));
    res_.set(bhttp::field::server, "farmgate");
    if (!r.content_type.empty()) res_.set(bhttp::field::content_type, r.content_type);
    for (const auto& h : r.headers) {
      if (h.name.empty() || unsafe_header_text(h.name) || unsafe_header_text(h.value)) {
        listener_->log.error(kComponent, "dropped a malformed response header: " + h.name);
        continue;
      }
      res_.set(h.name, h.value);
    }
    res_.body() = std::move(r.body);
    res_.keep_alive(keep_alive);
    res_.prepare_payload();
    if (head_) res_.body().clear();  // Content-Length stays the GET body's, as HEAD requires
  }

  void send(Response r, bool keep_alive) {
    awaiting_ = false;
    handler_timer_.cancel();
    // Interim (1xx) answers are the server's business; a handler's out-of-range status is a bug.
    if (r.status < 200 || r.status > 599) {
      listener_->log.error(kComponent, "handler returned status " + std::to_string(r.status));
      r = Response::error(500, "internal_error", "the gateway failed to handle the request");
    }
    try {
      build(r, keep_alive);
    } catch (const std::exception& e) {
      listener_->log.error(kComponent, std::string("cannot send a response: ") + e.what());
      r = Response::error(500, "internal_error", "the gateway failed to handle the request");
      build(r, keep_alive);
    }
    listener_->count_response(static_cast<int>(res_.result_int()));
    tcp_layer().expires_after(opts_.write_timeout);
    with_stream([&](auto& s) {
      bhttp::async_write(
          s, res_, [self = shared_from_this(), keep_alive](beast::error_code ec, std::size_t) {
            if (self->listener_->stopped) return;
            if (ec) return self->on_write_error(ec);
            if (!keep_alive) return self->linger();
            self->deadline_ = steady::now() + self->opts_.request_timeout;
            self->read_header();
          });
    });
  }

  void on_write_error(beast::error_code ec) {
    if (ec == beast::error::timeout) listener_->count_timeout();
    close();
  }

  // Closing right after an error response while the client is still sending (a body we refused)
  // makes the kernel answer with a reset, which can destroy the response before the client
  // reads it. So: stop sending, read and discard until the client closes or the linger deadline.
  void linger() {
    beast::error_code ec;
    tcp_layer().socket().shutdown(tcp::socket::shutdown_send, ec);
    if (ec) return close();
    tcp_layer().expires_after(opts_.linger_timeout);
    drain();
  }

  void drain() {
    with_stream([&](auto& s) {
      s.async_read_some(asio::buffer(drain_),
                        [self = shared_from_this()](beast::error_code ec, std::size_t) {
                          if (self->listener_->stopped) return;
                          if (ec) return self->close();
                          self->drain();
                        });
    });
  }

  std::shared_ptr<Listener> listener_;
  const ServerOptions& opts_;
  Stream stream_;
  beast::flat_buffer buffer_;
  std::optional<bhttp::request_parser<bhttp::string_body>> parser_;
  bhttp::response<bhttp::string_body> res_;  // alive while async_write sends it
  asio::steady_timer handler_timer_;
  std::array<char, 4096> drain_{};
  std::string remote_;
  steady::time_point deadline_{};
  const std::uint64_t id_;
  std::uint64_t generation_ = 0;  // counts requests, so a late async answer finds its own
  unsigned version_ = 11;
  bool head_ = false;
  bool keep_alive_ = false;
  bool awaiting_ = false;  // an AsyncHandler has the request
  bool closed_ = false;
  bool streaming_ = false;
  bool stream_writing_ = false;
  std::size_t stream_pending_ = 0;  // bytes queued and not yet written
  std::deque<std::string> stream_out_;
};

// The writer a stream handler holds. It does not keep the session alive: once the connection
// is gone, write() says so.
class SessionStream final : public StreamWriter {
 public:
  explicit SessionStream(std::weak_ptr<Session> session) : session_(std::move(session)) {}
  bool write(std::string_view bytes) override {
    const auto s = session_.lock();
    return s && s->stream_write(bytes);
  }
  bool is_open() const override {
    const auto s = session_.lock();
    return s && !s->closed_ && !s->listener_->stopped;
  }
  void close() override {
    if (const auto s = session_.lock()) s->close();
  }

 private:
  std::weak_ptr<Session> session_;
};

void Session::call_stream(const StreamHandler& handler, const Request& req) {
  awaiting_ = true;
  const std::uint64_t generation = generation_;
  handler_timer_.expires_after(opts_.handler_timeout);
  handler_timer_.async_wait([self = shared_from_this(), generation](beast::error_code ec) {
    if (ec || self->listener_->stopped || !self->awaiting_ || self->generation_ != generation) {
      return;
    }
    self->send(Response::error(503, "handler_timeout", "the gateway did not answer in time"),
               self->keep_alive_);
  });
  // Both paths only post: the session is looked up on the io thread, as for Responder.
  const auto on_io = [weak = weak_from_this(), generation,
                      executor = listener_->io.get_executor()](auto f) {
    asio::post(executor, [weak, generation, f = std::move(f)]() mutable {
      const auto self = weak.lock();
      if (!self || self->listener_->stopped || !self->awaiting_ ||
          self->generation_ != generation) {
        return;
      }
      f(*self);
    });
  };
  StreamResponder responder(
      [on_io](Response r) {
        on_io([r = std::move(r)](Session& s) mutable { s.send(std::move(r), s.keep_alive_); });
      },
      [on_io](Response head, StreamResponder::OnOpen on_open) {
        on_io([head = std::move(head), on_open = std::move(on_open)](Session& s) mutable {
          s.open_stream(std::move(head), on_open);
        });
      });
  try {
    handler(req, std::move(responder));
  } catch (const std::exception& e) {
    handler_failed(req, e.what());
  } catch (...) {
    handler_failed(req, "unknown exception");
  }
}

void Session::open_stream(Response head, const StreamResponder::OnOpen& on_open) {
  if (head_) return send(std::move(head), false);  // HEAD: the headers, then close
  awaiting_ = false;
  handler_timer_.cancel();
  streaming_ = true;
  listener_->count_response(head.status);
  std::string bytes = "HTTP/1.1 " + std::to_string(head.status) + " " +
                      std::string(bhttp::obsolete_reason(static_cast<bhttp::status>(head.status))) +
                      "\r\nServer: farmgate\r\n";
  if (!head.content_type.empty()) bytes += "Content-Type: " + head.content_type + "\r\n";
  for (const auto& h : head.headers) {
    if (h.name.empty() || unsafe_header_text(h.name) || unsafe_header_text(h.value)) continue;
    bytes += h.name + ": " + h.value + "\r\n";
  }
  bytes += "Connection: close\r\n\r\n";
  bytes += head.body;
  // No request deadline from now on; the watch read is started before any write so that the
  // writes' deadlines (write_timeout) never apply to it.
  tcp_layer().expires_never();
  stream_watch();
  stream_write(bytes);
  if (on_open) on_open(std::make_shared<SessionStream>(weak_from_this()));
}

Result<void> Listener::start() {
  if (started || stopped) return make_error("http_listen", "the HTTP server was started before");
  if (!config.tls_cert.empty()) {
    tls.emplace(asio::ssl::context::tls_server);
    // TLS 1.2 and 1.3 only: what every phone browser of the last years speaks.
    tls->set_options(asio::ssl::context::default_workarounds | asio::ssl::context::no_sslv2 |
                     asio::ssl::context::no_sslv3 | asio::ssl::context::no_tlsv1 |
                     asio::ssl::context::no_tlsv1_1 | asio::ssl::context::single_dh_use);
    beast::error_code ec;
    tls->use_certificate_chain_file(config.tls_cert, ec);
    if (ec) {
      return make_error("http_tls",
                        "cannot use the certificate " + config.tls_cert + ": " + ec.message());
    }
    tls->use_private_key_file(config.tls_key, asio::ssl::context::pem, ec);
    if (ec) {
      return make_error("http_tls",
                        "cannot use the private key " + config.tls_key + ": " + ec.message());
    }
  }
  const std::string host = config.host.empty() ? "0.0.0.0" : config.host;
  beast::error_code ec;
  // Names are not resolved: a listen address is this machine's, and a DNS lookup could block
  // the start on a farm without internet. "localhost" is common enough to be understood.
  const auto address = asio::ip::make_address(host == "localhost" ? "127.0.0.1" : host, ec);
  const std::string where = (address.is_v6() ? "[" + host + "]" : host) + ":";
  if (ec) {
    return make_error("http_listen", "cannot listen on " + where + std::to_string(config.port) +
                                         ": '" + host + "' is not an IP address");
  }
  const tcp::endpoint endpoint(address, config.port);
  const auto fail = [&](const beast::error_code& e) {
    beast::error_code ignored;
    acceptor.close(ignored);
    return make_error("http_listen", "cannot listen on " + where + std::to_string(config.port) +
                                         ": " + e.message());
  };
  acceptor.open(endpoint.protocol(), ec);
  if (ec) return fail(ec);
  // A restarted daemon must not wait for its old connections' TIME_WAIT to bind again.
  acceptor.set_option(asio::socket_base::reuse_address(true), ec);
  if (ec) return fail(ec);
  if (address.is_v6() && address.is_unspecified()) {
    // "::" serves IPv4 clients too; where the kernel refuses, IPv6 alone is still useful.
    acceptor.set_option(asio::ip::v6_only(false), ec);
  }
  acceptor.bind(endpoint, ec);
  if (ec) return fail(ec);
  acceptor.listen(asio::socket_base::max_listen_connections, ec);
  if (ec) return fail(ec);
  bound_port = acceptor.local_endpoint(ec).port();
  started = true;
  log.info(kComponent, std::string("listening on ") + (tls ? "https://" : "http://") + where +
                           std::to_string(bound_port));
  do_accept();
  return {};
}

void Listener::do_accept() {
  acceptor.async_accept([self = shared_from_this()](beast::error_code ec, tcp::socket socket) {
    self->on_accept(ec, std::move(socket));
  });
}

void Listener::on_accept(beast::error_code ec, tcp::socket socket) {
  if (stopped || ec == asio::error::operation_aborted) return;
  if (ec) {
    // Typically out of file descriptors: retry later instead of spinning, and say it once.
    if (!accept_error_logged) log.warn(kComponent, "accept failed, retrying: " + ec.message());
    accept_error_logged = true;
    accept_retry.expires_after(500ms);
    accept_retry.async_wait([self = shared_from_this()](beast::error_code e) {
      if (!e && !self->stopped) self->do_accept();
    });
    return;
  }
  accept_error_logged = false;
  try {
    const std::uint64_t id = next_session++;
    auto session = std::make_shared<Session>(shared_from_this(), std::move(socket), id);
    sessions.emplace(id, session);
    connections.set(static_cast<double>(sessions.size()));
    session->start();
  } catch (const std::exception& e) {
    log.error(kComponent, std::string("cannot serve a connection: ") + e.what());
  }
  if (sessions.size() >= options.max_connections) {
    accept_paused = true;  // session_ended() resumes
    return;
  }
  do_accept();
}

void Listener::session_ended(std::uint64_t id) {
  if (stopped) return;
  sessions.erase(id);
  connections.set(static_cast<double>(sessions.size()));
  if (accept_paused && sessions.size() < options.max_connections) {
    accept_paused = false;
    do_accept();
  }
}

void Listener::count_response(int status) {
  if (stopped) return;
  Counter*& c = responses[status];
  if (c == nullptr) {
    c = &metrics.counter("farmgate_http_requests_total", "HTTP requests answered, by status code",
                         {{"code", std::to_string(status)}});
  }
  c->inc();
}

void Listener::stop() {
  if (stopped) return;
  stopped = true;
  beast::error_code ec;
  accept_retry.cancel();
  acceptor.close(ec);
  connections.set(0);
  // Sessions destroyed in this loop call session_ended(), which ignores a stopped listener.
  const auto open = std::exchange(sessions, {});
  for (const auto& [id, weak] : open) {
    if (const auto session = weak.lock()) session->close();
  }
  if (started) log.info(kComponent, "stopped");
}

}  // namespace server_detail

struct HttpServer::Impl : server_detail::Listener {
  using Listener::Listener;
};

HttpServer::HttpServer(boost::asio::io_context& io, const config::HttpConfig& config, Logger& log,
                       Metrics& metrics, ServerOptions options)
    : impl_(std::make_shared<Impl>(io, config, log, metrics, options)) {}

HttpServer::~HttpServer() {
  impl_->stop();
}

void HttpServer::route(Verb verb, std::string_view pattern, Handler handler) {
  impl_->router.add(verb, pattern, std::move(handler));
}

void HttpServer::route_async(Verb verb, std::string_view pattern, AsyncHandler handler) {
  impl_->router.add(verb, pattern, std::move(handler));
}

void HttpServer::route_stream(Verb verb, std::string_view pattern, StreamHandler handler) {
  impl_->router.add(verb, pattern, std::move(handler));
}

std::vector<Router::Entry> HttpServer::routes() const {
  return impl_->router.routes();
}

Result<void> HttpServer::start() {
  return impl_->start();
}

unsigned short HttpServer::port() const {
  return impl_->port();
}

void HttpServer::stop() {
  impl_->stop();
}

}  // namespace farmgate::http
