#include "tests/support/fault_proxy.hpp"

#include <array>
#include <atomic>
#include <list>
#include <thread>

#include <boost/asio.hpp>

namespace parkchat::testing {

namespace asio = boost::asio;
using asio::ip::tcp;
using Clock = std::chrono::steady_clock;

namespace {

// Closes with an RST instead of a FIN: linger on, timeout zero.
void reset(tcp::socket& socket) {
  boost::system::error_code ignored;
  socket.set_option(asio::socket_base::linger(true, 0), ignored);
  socket.close(ignored);
}

}  // namespace

struct FaultProxy::Impl {
  // One proxied connection: two pumps, client to target and back.
  struct Pair : std::enable_shared_from_this<Pair> {
    Pair(Impl& impl, tcp::socket accepted) : owner(impl), client(std::move(accepted)), target(impl.io) {}
    Impl& owner;
    tcp::socket client;
    tcp::socket target;
    bool closed = false;

    void start() {
      target.async_connect(tcp::endpoint(asio::ip::address_v4::loopback(), static_cast<unsigned short>(owner.target_port)),
                           [self = shared_from_this()](const boost::system::error_code& ec) {
                             if (ec) return self->close();
                             self->pump(self->client, self->target);
                             self->pump(self->target, self->client);
                           });
    }
    // One chunk at a time: read, hold while a blackhole is on (the rest waits in the kernel,
    // as bytes in flight would) and for the delay, write, read again.
    void pump(tcp::socket& from, tcp::socket& to) {
      auto buffer = std::make_shared<std::array<char, 16384>>();
      from.async_read_some(asio::buffer(*buffer), [self = shared_from_this(), &from, &to, buffer](const boost::system::error_code& ec,
                                                                                                   std::size_t n) {
        if (ec || self->closed) return self->close();
        self->owner.when_open([self, &from, &to, buffer, n] {
          self->owner.after_delay([self, &from, &to, buffer, n] {
            if (self->closed) return;
            asio::async_write(to, asio::buffer(buffer->data(), n),
                              [self, &from, &to, buffer](const boost::system::error_code& written, std::size_t) {
                                if (written || self->closed) return self->close();
                                self->pump(from, to);
                              });
          });
        });
      });
    }
    // Either side ended: the other ends too, as a FIN (a reset is reset_all's).
    void close() {
      if (closed) return;
      closed = true;
      boost::system::error_code ignored;
      client.shutdown(tcp::socket::shutdown_both, ignored);
      target.shutdown(tcp::socket::shutdown_both, ignored);
      client.close(ignored);
      target.close(ignored);
    }
    void reset_both() {
      if (closed) return;
      closed = true;
      reset(client);
      reset(target);
    }
  };

  explicit Impl(int target) : target_port(target), acceptor(io) {
    acceptor.open(tcp::v4());
    acceptor.bind(tcp::endpoint(asio::ip::address_v4::loopback(), 0));
    acceptor.listen(1024);
    port = acceptor.local_endpoint().port();
    accept();
    thread = std::thread([this] { io.run(); });
  }
  ~Impl() {
    asio::post(io, [this] {
      boost::system::error_code ignored;
      acceptor.close(ignored);
      for (auto& weak : pairs) {
        if (auto pair = weak.lock()) pair->close();
      }
      io.stop();
    });
    thread.join();
  }

  void accept() {
    acceptor.async_accept([this](const boost::system::error_code& ec, tcp::socket socket) {
      if (ec == asio::error::operation_aborted || !acceptor.is_open()) return;
      if (!ec) {
        ++seen;
        if (Clock::now() < refuse_until) {
          ++resets;
          reset(socket);
        } else {
          auto pair = std::make_shared<Pair>(*this, std::move(socket));
          pairs.remove_if([](const std::weak_ptr<Pair>& w) { return w.expired(); });
          pairs.push_back(pair);
          pair->start();
        }
      }
      accept();
    });
  }

  void reset_all() {
    for (auto& weak : pairs) {
      if (auto pair = weak.lock(); pair && !pair->closed) {
        ++resets;
        pair->reset_both();
      }
    }
    pairs.clear();
  }

  // Runs `task` once no blackhole is on.
  void when_open(std::function<void()> task) {
    const auto until = blackhole_until;
    if (Clock::now() >= until) return task();
    auto timer = std::make_shared<asio::steady_timer>(io, until);
    timer->async_wait([this, timer, task = std::move(task)](const boost::system::error_code&) { when_open(task); });
  }
  // Runs `task` after the current delay of `slow`.
  void after_delay(std::function<void()> task) {
    if (delay.count() == 0) return task();
    auto timer = std::make_shared<asio::steady_timer>(io, delay);
    timer->async_wait([timer, task = std::move(task)](const boost::system::error_code&) { task(); });
  }

  int target_port;
  asio::io_context io;
  tcp::acceptor acceptor;
  int port = 0;
  std::thread thread;
  std::list<std::weak_ptr<Pair>> pairs;  // io thread only
  Clock::time_point refuse_until{};
  Clock::time_point blackhole_until{};
  std::chrono::milliseconds delay{0};
  std::atomic<std::size_t> seen{0};
  std::atomic<std::size_t> resets{0};
};

FaultProxy::FaultProxy(int target_port) : impl_(std::make_unique<Impl>(target_port)) {}
FaultProxy::~FaultProxy() = default;

int FaultProxy::port() const { return impl_->port; }
std::string FaultProxy::url() const { return "http://127.0.0.1:" + std::to_string(impl_->port); }

void FaultProxy::reset_and_refuse(std::chrono::milliseconds span) {
  asio::post(impl_->io, [impl = impl_.get(), span] {
    impl->refuse_until = Clock::now() + span;
    impl->reset_all();
  });
}

void FaultProxy::blackhole(std::chrono::milliseconds span) {
  asio::post(impl_->io, [impl = impl_.get(), span] { impl->blackhole_until = Clock::now() + span; });
}

void FaultProxy::slow(std::chrono::milliseconds delay) {
  asio::post(impl_->io, [impl = impl_.get(), delay] { impl->delay = delay; });
}

std::size_t FaultProxy::connections_seen() const { return impl_->seen; }
std::size_t FaultProxy::connections_reset() const { return impl_->resets; }

}  // namespace parkchat::testing
