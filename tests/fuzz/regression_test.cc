// What the fuzz targets turned up, as plain tests (the inputs also sit in
// corpus/<target>/ as regress-*, replayed by fuzz_corpus_<target>).
#include <cmath>
#include <sstream>
#include <string>

#include <gtest/gtest.h>

#include "fuzz_util.h"
#include "ledger/canonical.h"
#include "ledger/import.h"
#include "ledger/ledger.h"
#include "tests/ledger/ledger_test_util.h"

namespace demarche::fuzz {
namespace {

class RegressionTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ledger_ = ledger::ltest::OpenOrDie(dir_.path());
    ASSERT_NE(ledger_, nullptr);
    ASSERT_TRUE(ledger_->CreateScenario(FuzzScenario("s"), "fuzz").ok());
  }
  absl::StatusOr<ledger::ImportResult> ImportInto(const std::string& branch,
                                                  const std::string& text) {
    std::istringstream in(text);
    return ledger::ImportJsonLines(*ledger_, "s", branch, in);
  }
  absl::Status Import(const std::string& text) { return ImportInto("main", text).status(); }
  ledger::ltest::TempDir dir_;
  std::unique_ptr<ledger::Ledger> ledger_;
};

// The importer renamed every "events[N]" in an error message, including
// those inside quoted input, and parsed N with std::stoul: an id such as
// "events[99999999999999999999999]" threw std::out_of_range out of
// ImportJsonLines and terminated the process.
TEST_F(RegressionTest, AnIdThatLooksLikeAnEventPathIsQuotedAsItIs) {
  const absl::Status huge = Import("{\"id\":\"events[99999999999999999999999]\"}\n");
  EXPECT_EQ(huge.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(std::string(huge.message()),
            "line 1: id: \"events[99999999999999999999999]\" must be 1..128 characters of "
            "[A-Za-z0-9._:-]");
  const absl::Status small = Import("\n{\"id\":\"events[0]\"}\n");
  EXPECT_EQ(std::string(small.message()),
            "line 2: id: \"events[0]\" must be 1..128 characters of [A-Za-z0-9._:-]");
  auto head = ledger_->GetBranch("s", "main");
  ASSERT_TRUE(head.ok());
  EXPECT_EQ(head->head_seq(), 0u);
}

// protobuf's JSON mapping prints -0.0 as "-0" and reads that back as +0: an
// event appended with a -0.0 quantity or weight was exported and then refused
// on re-import as "already recorded with different content". Client content
// now keeps +0.0.
TEST_F(RegressionTest, NegativeZeroSurvivesExportAndReimport) {
  const std::string src = R"("sources":[{"document":"d","quote":"q"}])";
  const std::string input =
      R"({"id":"p","occurred":{"year":2004},"actor":["JPN"],"move":{"aid":{"action":)"
      R"("AID_ACTION_PLEDGE","commodity":"rice","quantity":-0.0},"weight":-0.0},)" +
      src + "}\n" +
      R"({"id":"q","occurred":{"year":2004},"actor":["PRK"],"move":{"proposal":{"issue":"i",)"
      R"("title":"t","terms":[{"giver":"PRK","quantity":-0.0}]}},)" +
      src + "}\n";
  auto first = ImportInto("main", input);
  ASSERT_TRUE(first.ok()) << first.status();
  EXPECT_EQ(first->totals.appended, 2u);

  std::ostringstream exported;
  ASSERT_TRUE(ledger::ExportJsonLines(*ledger_, "s", "main", exported).ok());
  auto again = ImportInto("main", exported.str());
  ASSERT_TRUE(again.ok()) << again.status() << "\n" << exported.str();
  EXPECT_EQ(again->totals.already_present, 2u);
  auto same = ImportInto("main", input);
  ASSERT_TRUE(same.ok()) << same.status();
  EXPECT_EQ(same->totals.already_present, 2u);

  auto stored = ledger_->FindEvent("s", "main", "p");
  ASSERT_TRUE(stored.ok());
  EXPECT_FALSE(std::signbit(stored->move().aid().quantity()));
  EXPECT_FALSE(std::signbit(stored->move().weight()));
  auto v = ledger_->Verify("s", "main");
  ASSERT_TRUE(v.ok());
  EXPECT_TRUE(v->ok) << v->reason;
}

TEST(ClientContentTest, MakesNegativeZeroPositive) {
  v1::Event e;
  auto* c = e.mutable_move()->mutable_correction();
  c->mutable_move()->mutable_concede()->set_quantity(-0.0);
  c->mutable_move()->set_weight(-0.0);
  e.mutable_move()->set_weight(-2.5);
  const v1::Event content = ledger::ClientContent(e);
  EXPECT_FALSE(std::signbit(content.move().correction().move().concede().quantity()));
  EXPECT_FALSE(std::signbit(content.move().correction().move().weight()));
  EXPECT_TRUE(content.move().correction().move().has_weight());
  EXPECT_EQ(content.move().weight(), -2.5);
}

}  // namespace
}  // namespace demarche::fuzz
