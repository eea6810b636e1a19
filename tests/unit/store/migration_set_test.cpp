#include "core/store/migration_set.hpp"

#include <gtest/gtest.h>

#include "core/base/encoding.hpp"
#include "core/store/migrator.hpp"

namespace parkchat::store {
namespace {

MigrationFile file(const std::string& name, const std::string& content = "SELECT 1;") {
  return {"test/" + name, name, content};
}

TEST(MigrationSetTest, ParsesWellFormedNames) {
  auto up = parse_migration_file_name("0001_chat_schema.up.sql");
  ASSERT_TRUE(up);
  EXPECT_EQ(up->version, 1);
  EXPECT_EQ(up->name, "chat_schema");
  EXPECT_EQ(up->role, FileRole::up);
  auto down = parse_migration_file_name("0012_add_x2.down.sql");
  ASSERT_TRUE(down);
  EXPECT_EQ(down->version, 12);
  EXPECT_EQ(down->role, FileRole::down);
}

TEST(MigrationSetTest, RefusesMalformedNamesNamingTheFile) {
  for (const char* bad : {"1_short.up.sql", "0001-dash.up.sql", "0001_Upper.up.sql", "0001_x.sideways.sql",
                          "0001_x.up.sql.bak", "0001_.up.sql", "0000_zero.up.sql", "abcd_x.up.sql"}) {
    auto r = parse_migration_file_name(bad);
    ASSERT_FALSE(r) << bad;
    EXPECT_NE(r.error().message.find(bad), std::string::npos) << r.error().message;
  }
}

TEST(MigrationSetTest, PairsAndSortsByVersion) {
  auto set = assemble_migrations({file("0002_b.down.sql"), file("0001_a.up.sql", "CREATE TABLE a();"),
                                  file("0002_b.up.sql"), file("0001_a.down.sql")});
  ASSERT_TRUE(set) << set.error().message;
  ASSERT_EQ(set->size(), 2u);
  EXPECT_EQ((*set)[0].label(), "0001_a");
  EXPECT_EQ((*set)[0].up.content, "CREATE TABLE a();");
  EXPECT_EQ((*set)[0].checksum, sha256_hex("CREATE TABLE a();"));
  EXPECT_EQ((*set)[1].label(), "0002_b");
}

TEST(MigrationSetTest, RefusesAMissingHalf) {
  auto r = assemble_migrations({file("0001_a.up.sql")});
  ASSERT_FALSE(r);
  EXPECT_NE(r.error().message.find("0001_a.down.sql"), std::string::npos) << r.error().message;
}

TEST(MigrationSetTest, RefusesAVersionUsedTwice) {
  auto r = assemble_migrations(
      {file("0001_a.up.sql"), file("0001_a.down.sql"), file("0001_b.up.sql"), file("0001_b.down.sql")});
  ASSERT_FALSE(r);
  EXPECT_NE(r.error().message.find("used twice"), std::string::npos) << r.error().message;
}

TEST(MigrationSetTest, BuiltInMigrationsAreWellFormed) {
  auto set = builtin_migrations();
  ASSERT_TRUE(set) << set.error().message;
  ASSERT_FALSE(set->empty());
  EXPECT_EQ(set->front().label(), "0001_chat_schema");
  EXPECT_NE(set->front().up.content.find("CREATE TABLE chat_rooms"), std::string::npos);
}

TEST(MigrationSetTest, Sha256MatchesAKnownDigest) {
  EXPECT_EQ(sha256_hex("abc"), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
}

TEST(MigratorTest, LineAndColumnCountCharactersNotBytes) {
  EXPECT_EQ(line_and_column("SELECT 1;", 1), std::make_pair(1, 1));
  EXPECT_EQ(line_and_column("a\nbc\nSELEC x", 7), std::make_pair(3, 2));
  // "é" is two bytes but one character, as PostgreSQL counts positions.
  EXPECT_EQ(line_and_column("-- é\nSELEC", 6), std::make_pair(2, 1));
}

}  // namespace
}  // namespace parkchat::store
