// ImportJsonLines / ExportJsonLines / LoadBundle on small hand-made inputs:
// error messages name the line and the field, re-imports are idempotent,
// progress is reported, and bundles are checked.
#include <filesystem>
#include <fstream>
#include <sstream>

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include "ledger/import.h"

namespace demarche::ledger {
namespace {

using ::testing::HasSubstr;
using ::testing::StartsWith;

class TempDir {
 public:
  TempDir() {
    static int counter = 0;
    path_ =
        std::filesystem::temp_directory_path() /
        ("demarche-import-test-" + std::to_string(::getpid()) + "-" + std::to_string(counter++));
    std::filesystem::remove_all(path_);
    std::filesystem::create_directories(path_);
  }
  ~TempDir() {
    std::error_code ignored;
    std::filesystem::remove_all(path_, ignored);
  }
  std::filesystem::path path() const { return path_; }

 private:
  std::filesystem::path path_;
};

void Write(const std::filesystem::path& path, const std::string& text) {
  std::filesystem::create_directories(path.parent_path());
  std::ofstream(path, std::ios::binary) << text;
}

std::string Statement(const std::string& id, int day, const std::string& actor = "AAA") {
  return "{\"id\": \"" + id +
         "\", \"occurred\": {\"year\": 2004, \"month\": 5, \"day\": " + std::to_string(day) +
         "}, \"actor\": [\"" + actor +
         "\"], \"move\": {\"statement\": {\"issue\": \"x\", \"stance\": \"STANCE_SUPPORT\"}}, "
         "\"sources\": [{\"document\": \"d\", \"quote\": \"q\"}], \"summary\": \"s\"}";
}

class ImportTest : public ::testing::Test {
 protected:
  void SetUp() override {
    Options options;
    options.sync = false;
    auto opened = Ledger::Open((dir_.path() / "ledger").string(), options);
    ASSERT_TRUE(opened.ok()) << opened.status();
    ledger_ = std::move(*opened);
    v1::Scenario s;
    s.set_name("t");
    for (const char* code : {"AAA", "BBB"}) {
      auto* p = s.add_roster();
      p->set_code(code);
      p->set_kind(v1::PARTY_KIND_STATE);
    }
    ASSERT_TRUE(ledger_->CreateScenario(s, "tester").ok());
  }

  absl::StatusOr<ImportResult> Import(const std::string& text, ImportOptions options = {}) {
    std::istringstream in(text);
    return ImportJsonLines(*ledger_, "t", "main", in, options);
  }

  uint64_t Head() {
    auto b = ledger_->GetBranch("t", "main");
    EXPECT_TRUE(b.ok());
    return b.ok() ? b->head_seq() : 0;
  }

  TempDir dir_;
  std::unique_ptr<Ledger> ledger_;
};

TEST_F(ImportTest, AppendsInBatchesAndReportsProgress) {
  std::string text;
  for (int i = 1; i <= 10; ++i) text += Statement("e" + std::to_string(i), i) + "\n";
  text += "\n   \n";  // blank lines are skipped
  ImportOptions options;
  options.batch_size = 3;
  std::vector<ImportProgress> calls;
  options.progress = [&](const ImportProgress& p) { calls.push_back(p); };
  auto result = Import(text, options);
  ASSERT_TRUE(result.ok()) << result.status();
  EXPECT_EQ(result->totals.events, 10u);
  EXPECT_EQ(result->totals.appended, 10u);
  EXPECT_EQ(result->totals.already_present, 0u);
  EXPECT_EQ(result->totals.lines, 12u);
  EXPECT_EQ(result->head_seq, 10u);
  ASSERT_EQ(calls.size(), 4u);  // batches of 3, 3, 3 and the last 1
  EXPECT_EQ(calls[0].appended, 3u);
  EXPECT_EQ(calls[0].lines, 3u);
  EXPECT_EQ(calls.back().appended, 10u);
  EXPECT_EQ(calls.back().lines, 12u);

  // Nothing new: one final report.
  calls.clear();
  auto again = Import(text, options);
  ASSERT_TRUE(again.ok()) << again.status();
  EXPECT_EQ(calls.back().already_present, 10u);
  EXPECT_EQ(Head(), 10u);
}

TEST_F(ImportTest, ReimportIsANoOpAndResumesAPartialImport) {
  std::string first, all;
  for (int i = 1; i <= 5; ++i) first += Statement("e" + std::to_string(i), i) + "\n";
  all = first;
  for (int i = 6; i <= 9; ++i) all += Statement("e" + std::to_string(i), i) + "\n";
  ASSERT_TRUE(Import(first).ok());
  ASSERT_EQ(Head(), 5u);

  ImportOptions options;
  options.batch_size = 4;  // batches mixing recorded and new events
  auto resumed = Import(all, options);
  ASSERT_TRUE(resumed.ok()) << resumed.status();
  EXPECT_EQ(resumed->totals.appended, 4u);
  EXPECT_EQ(resumed->totals.already_present, 5u);
  EXPECT_EQ(Head(), 9u);

  auto again = Import(all, options);
  ASSERT_TRUE(again.ok()) << again.status();
  EXPECT_EQ(again->totals.appended, 0u);
  EXPECT_EQ(again->totals.already_present, 9u);
  EXPECT_EQ(again->head_seq, 9u);
  EXPECT_EQ(Head(), 9u);
}

TEST_F(ImportTest, ChangedContentUnderARecordedIdIsRefusedWithItsLine) {
  ASSERT_TRUE(Import(Statement("e1", 1) + "\n" + Statement("e2", 2) + "\n").ok());
  auto changed = Import(Statement("e1", 1) + "\n" + Statement("e2", 3) + "\n");
  ASSERT_FALSE(changed.ok());
  EXPECT_EQ(changed.status().code(), absl::StatusCode::kAlreadyExists);
  EXPECT_THAT(std::string(changed.status().message()), StartsWith("line 2: id: \"e2\""));
  EXPECT_EQ(Head(), 2u);
}

TEST_F(ImportTest, ValidationErrorsNameTheLineAndTheField) {
  const std::string bad =
      "{\"id\": \"d1\", \"occurred\": {\"year\": 2004}, \"actor\": [\"AAA\"], "
      "\"move\": {\"demand\": {\"issue\": \"x\"}}, "
      "\"sources\": [{\"document\": \"d\", \"quote\": \"q\"}]}";
  auto result = Import(Statement("e1", 1) + "\n\n" + bad + "\n");
  ASSERT_FALSE(result.ok());
  EXPECT_EQ(result.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(result.status().message()), StartsWith("line 3: move.demand.text"));
  EXPECT_EQ(Head(), 0u);  // the batch is all or nothing

  auto roster = Import(Statement("e9", 9, "ZZZ") + "\n");
  ASSERT_FALSE(roster.ok());
  EXPECT_THAT(std::string(roster.status().message()), StartsWith("line 1: actor[0]"));
}

TEST_F(ImportTest, JsonErrorsNameTheLine) {
  auto syntax = Import(Statement("e1", 1) + "\n{\"id\": \n");
  ASSERT_FALSE(syntax.ok());
  EXPECT_EQ(syntax.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(syntax.status().message()), StartsWith("line 2: invalid Event JSON"));

  auto unknown = Import("{\"id\": \"e1\", \"colour\": \"red\"}\n");
  ASSERT_FALSE(unknown.ok());
  EXPECT_THAT(std::string(unknown.status().message()), StartsWith("line 1: "));
  EXPECT_THAT(std::string(unknown.status().message()), HasSubstr("colour"));

  auto enumeration = Import(
      "{\"id\": \"e1\", \"occurred\": {\"year\": 2004}, \"actor\": [\"AAA\"], \"move\": "
      "{\"statement\": {\"issue\": \"x\", \"stance\": \"STANCE_MAYBE\"}}}\n");
  ASSERT_FALSE(enumeration.ok());
  EXPECT_THAT(std::string(enumeration.status().message()), StartsWith("line 1: "));

  auto no_id = Import("{\"summary\": \"s\"}\n");
  ASSERT_FALSE(no_id.ok());
  EXPECT_EQ(std::string(no_id.status().message()), "line 1: id: required");
}

TEST_F(ImportTest, RepeatedIdInTheInputNamesBothLines) {
  auto result =
      Import(Statement("e1", 1) + "\n" + Statement("e2", 2) + "\n" + Statement("e1", 1) + "\n");
  ASSERT_FALSE(result.ok());
  EXPECT_EQ(std::string(result.status().message()), "line 3: id: \"e1\" repeats line 1");
}

TEST_F(ImportTest, ReferencesResolveAcrossBatches) {
  const std::string response =
      "{\"id\": \"r1\", \"occurred\": {\"year\": 2004, \"month\": 6}, \"actor\": [\"BBB\"], "
      "\"move\": {\"response\": {\"target\": \"p1\", \"kind\": \"RESPONSE_KIND_REJECT\"}}, "
      "\"sources\": [{\"document\": \"d\", \"quote\": \"q\"}]}";
  const std::string proposal =
      "{\"id\": \"p1\", \"occurred\": {\"year\": 2004, \"month\": 5}, \"actor\": [\"AAA\"], "
      "\"recipients\": [\"BBB\"], \"move\": {\"proposal\": {\"issue\": \"x\", \"title\": "
      "\"deal\"}}, \"sources\": [{\"document\": \"d\", \"quote\": \"q\"}]}";
  ImportOptions options;
  options.batch_size = 1;
  ASSERT_TRUE(Import(proposal + "\n" + response + "\n", options).ok());
  auto dangling = Import(
      "{\"id\": \"r2\", \"occurred\": {\"year\": 2004}, \"actor\": [\"BBB\"], \"move\": "
      "{\"response\": {\"target\": \"nope\", \"kind\": \"RESPONSE_KIND_ACCEPT\"}}, "
      "\"sources\": [{\"document\": \"d\", \"quote\": \"q\"}]}\n");
  ASSERT_FALSE(dangling.ok());
  EXPECT_THAT(std::string(dangling.status().message()), StartsWith("line 1: move.response.target"));
}

TEST_F(ImportTest, ExportWritesEnvelopesAndImportIgnoresThem) {
  ASSERT_TRUE(Import(Statement("e1", 1) + "\n" + Statement("e2", 2) + "\n").ok());
  std::stringstream text;
  auto exported = ExportJsonLines(*ledger_, "t", "main", text);
  ASSERT_TRUE(exported.ok()) << exported.status();
  EXPECT_EQ(*exported, 2u);
  std::string first;
  std::getline(text, first);
  EXPECT_THAT(first, HasSubstr("\"seq\":\"1\""));
  EXPECT_THAT(first, HasSubstr("\"recordedBy\":\"import\""));
  EXPECT_THAT(first, HasSubstr("\"hash\":"));
  EXPECT_THAT(first, HasSubstr("\"scenario\":\"t\""));
  text.clear();
  text.seekg(0);
  auto again = ImportJsonLines(*ledger_, "t", "main", text, {});
  ASSERT_TRUE(again.ok()) << again.status();
  EXPECT_EQ(again->totals.already_present, 2u);
  EXPECT_EQ(Head(), 2u);
}

TEST_F(ImportTest, UnknownBranchIsNotFound) {
  std::istringstream in(Statement("e1", 1) + "\n");
  auto result = ImportJsonLines(*ledger_, "t", "nope", in, {});
  ASSERT_FALSE(result.ok());
  EXPECT_EQ(result.status().code(), absl::StatusCode::kNotFound);
}

class BundleTest : public ImportTest {
 protected:
  void WriteBundle(const std::string& fork_after) {
    const auto root = dir_.path() / "bundle";
    Write(root / "scenario.json",
          "{\"name\": \"b\", \"roster\": [{\"code\": \"AAA\"}, {\"code\": \"BBB\"}]}");
    Write(root / "events.jsonl",
          Statement("m1", 1) + "\n" + Statement("m2", 2) + "\n" + Statement("m3", 3) + "\n");
    Write(root / "branches" / "alt.json",
          "{\"branch\": {\"name\": \"alt\", \"description\": \"what if\"}, \"forkAfterEvent\": "
          "\"" +
              fork_after + "\"}");
    Write(root / "branches" / "alt.jsonl", Statement("a1", 4, "BBB") + "\n");
    // A branch of the branch, listed first alphabetically: created after its parent.
    Write(root / "branches" / "aa-child.json",
          "{\"branch\": {\"name\": \"aa-child\", \"parent\": \"alt\"}, \"forkAfterEvent\": "
          "\"a1\"}");
    Write(root / "branches" / "aa-child.jsonl", Statement("c1", 5) + "\n");
  }
  std::string Root() const { return (dir_.path() / "bundle").string(); }
};

TEST_F(BundleTest, LoadsNestedBranchesOnceAndChecksForkPoints) {
  WriteBundle("m2");
  auto loaded = LoadBundle(*ledger_, Root(), "loader");
  ASSERT_TRUE(loaded.ok()) << loaded.status();
  EXPECT_TRUE(loaded->scenario_created);
  EXPECT_EQ(loaded->events_appended, 5u);
  EXPECT_EQ(loaded->branches_created, (std::vector<std::string>{"alt", "aa-child"}));
  auto alt = ledger_->GetBranch("b", "alt");
  ASSERT_TRUE(alt.ok());
  EXPECT_EQ(alt->fork_after_seq(), 2u);
  EXPECT_EQ(alt->head_seq(), 3u);
  EXPECT_EQ(alt->description(), "what if");
  auto child = ledger_->GetBranch("b", "aa-child");
  ASSERT_TRUE(child.ok());
  EXPECT_EQ(child->parent(), "alt");
  EXPECT_EQ(child->fork_after_seq(), 3u);

  auto again = LoadBundle(*ledger_, Root(), "loader");
  ASSERT_TRUE(again.ok()) << again.status();
  EXPECT_EQ(again->events_appended, 0u);
  EXPECT_EQ(again->events_present, 5u);
  EXPECT_TRUE(again->branches_created.empty());

  WriteBundle("m3");  // the bundle now says a different fork point
  auto moved = LoadBundle(*ledger_, Root(), "loader");
  ASSERT_FALSE(moved.ok());
  EXPECT_EQ(moved.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(std::string(moved.status().message()), StartsWith("branches/alt.json: "));
}

TEST_F(BundleTest, ErrorsNameTheFile) {
  WriteBundle("no-such-event");
  auto loaded = LoadBundle(*ledger_, Root(), "loader");
  ASSERT_FALSE(loaded.ok());
  EXPECT_EQ(loaded.status().code(), absl::StatusCode::kNotFound);
  EXPECT_THAT(std::string(loaded.status().message()),
              StartsWith("branches/alt.json: fork_after_event"));

  Write(dir_.path() / "bundle" / "events.jsonl", Statement("m1", 1, "ZZZ") + "\n");
  auto bad_line = LoadBundle(*ledger_, Root(), "loader");
  ASSERT_FALSE(bad_line.ok());
  EXPECT_THAT(std::string(bad_line.status().message()), StartsWith("events.jsonl: line 1: actor"));

  auto missing = LoadBundle(*ledger_, (dir_.path() / "nowhere").string(), "loader");
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.status().code(), absl::StatusCode::kNotFound);
}

}  // namespace
}  // namespace demarche::ledger
