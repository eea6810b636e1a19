// The shell completions and man pages in completions/ and man/: current with the command line,
// loadable by each shell, offering what a user types, and rendered by man.

#include <filesystem>
#include <fstream>
#include <sstream>

#include <gtest/gtest.h>

#include "core/embedded/child_process.hpp"
#include "tests/support/test_stack.hpp"

namespace parkchat::testing {
namespace {

namespace fs = std::filesystem;
const fs::path kRoot = PARKCHAT_SOURCE_DIR;

std::string read_file(const fs::path& path) {
  std::ifstream file(path);
  std::stringstream text;
  text << file.rdbuf();
  return text.str();
}

struct Ran {
  int status = -1;
  std::string output;
};

// Runs argv (argv[0] found on PATH) and returns its exit status and output.
Ran run(std::vector<std::string> argv, const std::vector<std::string>& env = {}) {
  ScratchDir scratch;
  auto program = embedded::find_program({argv[0]});
  if (!program) {
    ADD_FAILURE() << argv[0] << " is not installed (scripts/install-deps.sh installs it)";
    return {};
  }
  argv[0] = *program;
  embedded::SpawnOptions options;
  options.argv = argv;
  options.output_path = (scratch.path() / "out").string();
  options.env_changes = env;
  auto status = embedded::run_to_completion(options, std::chrono::seconds(60));
  EXPECT_TRUE(status) << (status ? "" : status.error().message);
  return {status ? *status : -1, read_file(options.output_path)};
}

TEST(Docs, GeneratedFilesAreCurrent) {
  ScratchDir out;
  embedded::SpawnOptions options;
  options.argv = {PARKCHAT_DOCGEN, out.path().string()};
  auto status = embedded::run_to_completion(options, std::chrono::seconds(30));
  ASSERT_TRUE(status && *status == 0);
  std::size_t compared = 0;
  for (const char* dir : {"completions", "man"}) {
    for (const auto& entry : fs::directory_iterator(out.path() / dir)) {
      const fs::path committed = kRoot / dir / entry.path().filename();
      EXPECT_EQ(read_file(entry.path()), read_file(committed))
          << committed << " is out of date: run `ninja -C build docs` and commit the result";
      ++compared;
    }
  }
  EXPECT_GE(compared, 11u);  // three completions, parkchat.1 and a page per subcommand
}

TEST(Docs, BashCompletesSubcommandsAndFlags) {
  const std::string script = "source " + (kRoot / "completions/parkchat.bash").string() +
                             "; complete -p parkchat >/dev/null || exit 3"
                             "; COMP_WORDS=(parkchat se); COMP_CWORD=1; _parkchat; printf '%s\\n' \"${COMPREPLY[@]}\""
                             "; COMP_WORDS=(parkchat send --ro); COMP_CWORD=2; _parkchat; printf '%s\\n' \"${COMPREPLY[@]}\"";
  auto ran = run({"bash", "--norc", "-c", script});
  EXPECT_EQ(ran.status, 0) << ran.output;
  EXPECT_EQ(ran.output, "serve\nsend\n--room\n");
}

TEST(Docs, ZshLoadsTheCompletionAndOffersSendAndServe) {
  ScratchDir home;
  const std::string script = "fpath=(" + (kRoot / "completions").string() +
                             " $fpath); autoload -Uz compinit; compinit -u -d " + (home.path() / "zcompdump").string() +
                             "; [[ $_comps[parkchat] == _parkchat ]] || exit 3"
                             "; source " + (kRoot / "completions/_parkchat").string() +
                             "; _parkchat_words '' | grep '^se'; _parkchat_words migrate | grep -x up";
  auto ran = run({"zsh", "-f", "-c", script}, {"HOME=" + home.path().string()});
  EXPECT_EQ(ran.status, 0) << ran.output;
  EXPECT_EQ(ran.output, "serve\nsend\nup\n");
}

TEST(Docs, FishOffersSendAndServe) {
  ScratchDir home;
  const std::string script = "source " + (kRoot / "completions/parkchat.fish").string() +
                             "; complete -C 'parkchat se'; complete -C 'parkchat tail --fol'";
  auto ran = run({"fish", "--no-config", "-c", script}, {"HOME=" + home.path().string(), "XDG_CONFIG_HOME=" + home.path().string()});
  EXPECT_EQ(ran.status, 0) << ran.output;
  EXPECT_NE(ran.output.find("serve\t"), std::string::npos) << ran.output;
  EXPECT_NE(ran.output.find("send\t"), std::string::npos) << ran.output;
  EXPECT_NE(ran.output.find("--follow"), std::string::npos) << ran.output;
}

TEST(Docs, ManRendersEveryPage) {
  std::size_t pages = 0;
  for (const auto& entry : fs::directory_iterator(kRoot / "man")) {
    auto ran = run({"man", "-l", entry.path().string()}, {"MANPAGER=cat", "PAGER=cat", "MANWIDTH=80"});
    EXPECT_EQ(ran.status, 0) << entry.path() << "\n" << ran.output;
    EXPECT_NE(ran.output.find("NAME"), std::string::npos) << entry.path();
    EXPECT_NE(ran.output.find("parkchat"), std::string::npos) << entry.path();
    ++pages;
  }
  EXPECT_EQ(pages, 8u);
}

}  // namespace
}  // namespace parkchat::testing
