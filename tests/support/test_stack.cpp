#include "tests/support/test_stack.hpp"

#include <stdlib.h>
#include <unistd.h>

#include <atomic>
#include <regex>
#include <stdexcept>

#include "core/store/pg_connection.hpp"

namespace parkchat::testing {
namespace {

TestStack* g_stack = nullptr;

std::filesystem::path make_temp_dir(const char* prefix) {
  std::string pattern = (std::filesystem::temp_directory_path() / (std::string(prefix) + "XXXXXX")).string();
  if (::mkdtemp(pattern.data()) == nullptr) throw std::runtime_error("mkdtemp " + pattern + " failed");
  return pattern;
}

void exec_admin(const std::string& sql) {
  auto conn = store::PgConnection::connect(TestStack::get().database_url("postgres"));
  ASSERT_TRUE(conn) << conn.error().message;
  auto result = conn->exec(sql);
  ASSERT_TRUE(result) << sql << ": " << store::describe(result.error());
}

embedded::PortReservation reserve_or_throw() {
  auto reserved = embedded::PortReservation::reserve();
  if (!reserved) throw std::runtime_error(reserved.error().message);
  return std::move(*reserved);
}
}  // namespace

ReservedPort::ReservedPort() : embedded::PortReservation(reserve_or_throw()) {}

void TestStack::SetUp() {
  g_stack = this;
  dir_ = make_temp_dir("parkchat-test-");
  embedded::LocalStackOptions options;
  options.dir = dir_;
  options.durability = embedded::Durability::ephemeral;
  auto started = embedded::LocalStack::start(options);
  ASSERT_TRUE(started) << "cannot start the test NATS and PostgreSQL: " << started.error().message;
  stack_ = std::move(*started);
}

void TestStack::TearDown() {
  stack_.reset();
  std::error_code ignored;
  std::filesystem::remove_all(dir_, ignored);
}

TestStack& TestStack::get() {
  if (g_stack == nullptr || !g_stack->stack_) {
    ADD_FAILURE() << "the test NATS and PostgreSQL are not running";
    std::abort();
  }
  return *g_stack;
}

const std::string& TestStack::nats_url() const { return stack_->nats()->url(); }

std::string TestStack::database_url(const std::string& database) const { return stack_->postgres()->url(database); }

ScratchDatabase::ScratchDatabase() {
  static std::atomic<int> counter{0};
  name_ = "test_" + std::to_string(::getpid()) + "_" + std::to_string(counter++);
  exec_admin("CREATE DATABASE " + name_);
  url_ = TestStack::get().database_url(name_);
}

ScratchDatabase::~ScratchDatabase() { exec_admin("DROP DATABASE IF EXISTS " + name_ + " WITH (FORCE)"); }

int database_port(const std::string& url) {
  std::smatch match;
  if (!std::regex_search(url, match, std::regex("@127\\.0\\.0\\.1:([0-9]+)/"))) return 0;
  return std::stoi(match[1]);
}

std::string with_database_port(const std::string& url, int port) {
  return std::regex_replace(url, std::regex("@127\\.0\\.0\\.1:[0-9]+/"), "@127.0.0.1:" + std::to_string(port) + "/");
}

ScratchDir::ScratchDir() : path_(make_temp_dir("parkchat-scratch-")) {
  // Embedded servers run as `postgres` when we are root; they must be able to pass through.
  std::filesystem::permissions(path_, std::filesystem::perms::others_exec | std::filesystem::perms::group_exec,
                               std::filesystem::perm_options::add);
}

ScratchDir::~ScratchDir() {
  std::error_code ignored;
  std::filesystem::remove_all(path_, ignored);
}

}  // namespace parkchat::testing
