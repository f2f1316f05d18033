// Inputs the import fuzzer found, as plain tests (they also sit in
// corpus/import/ as regress-*, replayed by fuzz_corpus_import).
#include <sstream>
#include <string>

#include <gtest/gtest.h>

#include "fuzz_util.h"
#include "ledger/import.h"
#include "ledger/ledger.h"
#include "tests/ledger/ledger_test_util.h"

namespace demarche::fuzz {
namespace {

class ImportRegressionTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ledger_ = ledger::ltest::OpenOrDie(dir_.path());
    ASSERT_NE(ledger_, nullptr);
    ASSERT_TRUE(ledger_->CreateScenario(FuzzScenario("s"), "fuzz").ok());
  }
  absl::Status Import(const std::string& text) {
    std::istringstream in(text);
    return ledger::ImportJsonLines(*ledger_, "s", "main", in).status();
  }
  ledger::ltest::TempDir dir_;
  std::unique_ptr<ledger::Ledger> ledger_;
};

// The importer renamed every "events[N]" in an error message, including
// those inside quoted input, and parsed N with std::stoul: an id such as
// "events[99999999999999999999999]" threw std::out_of_range out of
// ImportJsonLines and terminated the process.
TEST_F(ImportRegressionTest, AnIdThatLooksLikeAnEventPathIsQuotedAsItIs) {
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

}  // namespace
}  // namespace demarche::fuzz
