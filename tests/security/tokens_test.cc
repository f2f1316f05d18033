// The token file, role checks and the loopback rule, without a server.
#include <gtest/gtest.h>

#include "services/auth.h"
#include "services/server.h"

namespace demarche::services {
namespace {

TEST(TokenTable, ParsesLinesCommentsAndBlankLines) {
  auto table = TokenTable::Parse(
      "# demarche tokens\n"
      "\n"
      "reader-token-0123456789 alice reader   # read only\n"
      "  analyst-token-0123456789\tbob analyst\n"
      "curator-token-0123456789 dana@example.org curator\n",
      "tokens.txt");
  ASSERT_TRUE(table.ok()) << table.status();
  EXPECT_EQ(table->size(), 3u);
  const Principal* bob = table->Find("analyst-token-0123456789");
  ASSERT_NE(bob, nullptr);
  EXPECT_EQ(bob->name, "bob");
  EXPECT_EQ(bob->role, Role::kAnalyst);
  EXPECT_EQ(table->Find("curator-token-0123456789")->name, "dana@example.org");
  EXPECT_EQ(table->Find("analyst-token-012345678"), nullptr);  // a prefix is not the token
  EXPECT_EQ(table->Find(""), nullptr);
}

struct BadFile {
  const char* text;
  const char* message;
};

TEST(TokenTable, ErrorsNameTheLineAndTheReason) {
  const BadFile cases[] = {
      {"x-token-0123456789abc alice\n", "tokens.txt:1: expected `<token> <principal> <role>`"},
      {"# c\nx-token-0123456789abc alice reader extra\n", "tokens.txt:2: expected"},
      {"short alice reader\n", "tokens.txt:1: token shorter than 16"},
      {"x-token-0123456789abc alice admin\n", "role \"admin\" is not reader, analyst or curator"},
      {"x-token-0123456789abc al/ice reader\n", "principal \"al/ice\": only letters"},
      {"x-token-0123456789abc alice reader\nx-token-0123456789abc bob curator\n",
       "tokens.txt:2: token repeats an earlier line's token"},
      {"# only comments\n\n", "tokens.txt: no token in the file"},
  };
  for (const BadFile& c : cases) {
    auto table = TokenTable::Parse(c.text, "tokens.txt");
    ASSERT_FALSE(table.ok()) << c.text;
    EXPECT_EQ(table.status().code(), absl::StatusCode::kInvalidArgument);
    EXPECT_NE(table.status().message().find(c.message), std::string::npos)
        << table.status().message() << " for " << c.text;
  }
}

TEST(TokenTable, MissingFileIsNotFound) {
  auto table = TokenTable::Load("/nonexistent/demarche-tokens");
  EXPECT_EQ(table.status().code(), absl::StatusCode::kNotFound);
  EXPECT_NE(table.status().message().find("/nonexistent/demarche-tokens"), std::string::npos);
}

TEST(MayAppend, CuratorsAnywhereAnalystsOnTheirOwnBranchesReadersNowhere) {
  const Principal reader{"alice", Role::kReader};
  const Principal bob{"bob", Role::kAnalyst};
  const Principal dana{"dana", Role::kCurator};
  EXPECT_TRUE(MayAppend(dana, "main", "local").ok());
  EXPECT_TRUE(MayAppend(dana, "bob-branch", "bob").ok());
  EXPECT_TRUE(MayAppend(bob, "bob-branch", "bob").ok());
  EXPECT_EQ(MayAppend(bob, "main", "bob").code(), absl::StatusCode::kPermissionDenied);
  absl::Status other = MayAppend(bob, "carol-branch", "carol");
  EXPECT_EQ(other.code(), absl::StatusCode::kPermissionDenied);
  EXPECT_NE(other.message().find("owned by carol"), std::string::npos) << other;
  EXPECT_EQ(MayAppend(reader, "alice-branch", "alice").code(), absl::StatusCode::kPermissionDenied);
}

TEST(IsLoopbackListen, OnlyLoopbackHostsCount) {
  for (const char* listen : {"127.0.0.1:50051", "127.1.2.3:0", "localhost:1", "[::1]:50051"}) {
    EXPECT_TRUE(IsLoopbackListen(listen)) << listen;
  }
  for (const char* listen : {"0.0.0.0:50051", "[::]:50051", ":50051", "10.0.0.5:1",
                             "example.org:443", "127.0.0.1.example.org:1", "1270.0.0.1:1"}) {
    EXPECT_FALSE(IsLoopbackListen(listen)) << listen;
  }
}

}  // namespace
}  // namespace demarche::services
