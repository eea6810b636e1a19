#pragma once
// The real NATS and PostgreSQL of one integration test binary: started once, in a temporary
// directory, before the first test, and stopped after the last. Each test takes a fresh
// database of its own, so tests never see each other's rows. ctest runs the binaries at the
// same time, so nothing here may be a fixed name or port outside this process.

#include <memory>
#include <string>

#include <gtest/gtest.h>

#include "core/embedded/host.hpp"
#include "core/embedded/local_stack.hpp"

namespace parkchat::testing {

// A loopback port this process holds while the object lives (embedded::PortReservation); the
// test fails at once when none can be had.
class ReservedPort : public embedded::PortReservation {
 public:
  ReservedPort();
};

class TestStack : public ::testing::Environment {
 public:
  void SetUp() override;
  void TearDown() override;

  // The running stack; fails the test if SetUp could not start it.
  static TestStack& get();

  const std::string& nats_url() const;
  // URL of a database of this server (with the password).
  std::string database_url(const std::string& database) const;
  const std::filesystem::path& dir() const { return dir_; }

 private:
  std::filesystem::path dir_;
  std::unique_ptr<embedded::LocalStack> stack_;
};

// A new empty database, dropped (with its connections) when this goes out of scope.
class ScratchDatabase {
 public:
  ScratchDatabase();
  ~ScratchDatabase();
  ScratchDatabase(const ScratchDatabase&) = delete;
  ScratchDatabase& operator=(const ScratchDatabase&) = delete;

  const std::string& name() const { return name_; }
  const std::string& url() const { return url_; }

 private:
  std::string name_;
  std::string url_;
};

// A fresh temporary directory, removed with its contents when this goes out of scope.
// The port of a database URL of the test stack (postgresql://…@127.0.0.1:PORT/db), 0 when it
// names none, and the URL with its port replaced: to put a FaultProxy in front of PostgreSQL.
int database_port(const std::string& url);
std::string with_database_port(const std::string& url, int port);

class ScratchDir {
 public:
  ScratchDir();
  ~ScratchDir();
  const std::filesystem::path& path() const { return path_; }

 private:
  std::filesystem::path path_;
};

}  // namespace parkchat::testing
