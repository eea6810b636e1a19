#include "core/base/utf8.hpp"

#include <gtest/gtest.h>

namespace parkchat {
namespace {

TEST(Utf8Test, CountsCharactersNotBytes) {
  EXPECT_EQ(utf8_length(""), 0u);
  EXPECT_EQ(utf8_length("golf"), 4u);
  EXPECT_EQ(utf8_length("안녕하세요"), 5u);
  EXPECT_EQ(utf8_length("⛳🏌️"), 3u);
}

TEST(Utf8Test, RefusesInvalidSequences) {
  for (std::string bad : {std::string("\xff"), std::string("\xc0\xaf"), std::string("\xe2\x82"),
                          std::string("\xed\xa0\x80"), std::string("\xf4\x90\x80\x80"), std::string("ok\x80")}) {
    EXPECT_FALSE(utf8_length(bad)) << bad.size();
  }
}

TEST(Utf8Test, TrimsAsciiAndUnicodeSpace) {
  EXPECT_EQ(trim_space("  hi \n"), "hi");
  EXPECT_EQ(trim_space("\xe3\x80\x80hi\xc2\xa0"), "hi");  // ideographic space, NBSP
  EXPECT_EQ(trim_space(" \t\xe2\x80\x8b "), "");            // zero-width space
  EXPECT_EQ(trim_space("안녕"), "안녕");
}

}  // namespace
}  // namespace parkchat
