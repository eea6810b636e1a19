#include "core/config/settings.hpp"

#include <unistd.h>

#include <fstream>
#include <map>

#include <CLI/CLI.hpp>
#include <gtest/gtest.h>

namespace parkchat::config {
namespace {

class SettingsTest : public ::testing::Test {
 protected:
  // Parses args (after the program name) with an environment given as a map.
  Result<void> parse(std::vector<std::string> args, std::map<std::string, std::string> env = {}) {
    app_.reset(new CLI::App("test"));
    settings_ = Settings();
    settings_.add_to(*app_, {Key::nats_url, Key::database_url, Key::listen, Key::data_dir, Key::log_level,
                             Key::log_format});
    std::vector<const char*> argv = {"parkchat"};
    for (const auto& a : args) argv.push_back(a.c_str());
    app_->parse(static_cast<int>(argv.size()), argv.data());
    return settings_.resolve([env](const std::string& name) -> std::optional<std::string> {
      auto it = env.find(name);
      if (it == env.end()) return std::nullopt;
      return it->second;
    });
  }

  // ctest runs every case as its own process at the same time as the others, so the file is
  // named after the test and the process: a shared name let one case's TearDown remove the file
  // another case was about to read.
  std::string write_config(const std::string& text) {
    const auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
    path_ = ::testing::TempDir() + "parkchat-settings-" + info->name() + "-" + std::to_string(::getpid()) +
            ".toml";
    std::ofstream(path_) << text;
    return path_;
  }

  void TearDown() override {
    if (!path_.empty()) std::remove(path_.c_str());
  }

  std::unique_ptr<CLI::App> app_;
  Settings settings_;
  std::string path_;
};

TEST_F(SettingsTest, DefaultsApplyWhenNothingIsSet) {
  ASSERT_TRUE(parse({}));
  EXPECT_EQ(settings_.value(Key::listen), "127.0.0.1:3003");
  EXPECT_EQ(settings_.source(Key::listen), Source::fallback);
  EXPECT_EQ(settings_.value(Key::data_dir), "./.parkchat");
  // No default: the embedded servers.
  EXPECT_FALSE(settings_.value(Key::nats_url));
  EXPECT_FALSE(settings_.value(Key::database_url));
}

TEST_F(SettingsTest, FlagBeatsEnvironmentBeatsConfigFileBeatsDefault) {
  const std::string config = write_config(
      "nats-url = \"nats://file:4222\"\n"
      "database_url = \"postgresql://file/db\"\n"
      "listen = \"0.0.0.0:1\"\n");
  ASSERT_TRUE(parse({"--config", config, "--nats-url", "nats://flag:4222"},
                    {{"NATS_URL", "nats://env:4222"}, {"DATABASE_URL", "postgresql://env/db"}}));
  EXPECT_EQ(settings_.value(Key::nats_url), "nats://flag:4222");
  EXPECT_EQ(settings_.source(Key::nats_url), Source::flag);
  EXPECT_EQ(settings_.value(Key::database_url), "postgresql://env/db");
  EXPECT_EQ(settings_.source(Key::database_url), Source::environment);
  EXPECT_EQ(settings_.value(Key::listen), "0.0.0.0:1");
  EXPECT_EQ(settings_.source(Key::listen), Source::config_file);
  EXPECT_EQ(settings_.source(Key::data_dir), Source::fallback);
}

TEST_F(SettingsTest, ConfigFileComesFromTheEnvironmentToo) {
  const std::string config = write_config("listen = \"10.0.0.1:80\"\n");
  ASSERT_TRUE(parse({}, {{"PARKCHAT_CONFIG", config}}));
  EXPECT_EQ(settings_.value(Key::listen), "10.0.0.1:80");
}

TEST_F(SettingsTest, UnknownConfigKeyIsRefusedWithTheFileName) {
  const std::string config = write_config("lisen = \"10.0.0.1:80\"\n");
  auto r = parse({"--config", config});
  ASSERT_FALSE(r);
  EXPECT_NE(r.error().message.find(config), std::string::npos) << r.error().message;
  EXPECT_NE(r.error().message.find("lisen"), std::string::npos) << r.error().message;
}

TEST_F(SettingsTest, MissingConfigFileIsRefused) {
  auto r = parse({"--config", "/nonexistent/parkchat.toml"});
  ASSERT_FALSE(r);
  EXPECT_NE(r.error().message.find("/nonexistent/parkchat.toml"), std::string::npos);
}

TEST_F(SettingsTest, InvalidLogFormatNamesItsSource) {
  auto r = parse({}, {{"PARKCHAT_LOG_FORMAT", "xml"}});
  ASSERT_FALSE(r);
  EXPECT_NE(r.error().message.find("PARKCHAT_LOG_FORMAT=xml"), std::string::npos) << r.error().message;
  auto flag = parse({"--log-level", "loud"});
  ASSERT_FALSE(flag);
  EXPECT_NE(flag.error().message.find("--log-level=loud"), std::string::npos) << flag.error().message;
}

TEST_F(SettingsTest, EmptyEnvironmentValueCountsAsUnset) {
  ASSERT_TRUE(parse({}, {{"NATS_URL", ""}}));
  EXPECT_FALSE(settings_.value(Key::nats_url));
}

}  // namespace
}  // namespace parkchat::config
